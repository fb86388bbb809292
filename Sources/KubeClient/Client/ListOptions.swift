/// Options of a list (or watch) request.
public struct ListOptions: Sendable, Hashable {
    /// `labelSelector`, e.g. `app=web,tier!=cache`.
    public var labelSelector: String?
    /// `fieldSelector`, e.g. `status.phase=Running`.
    public var fieldSelector: String?
    /// Page size (`limit`).
    public var limit: Int?
    /// Continue token from the previous page's `metadata.continue`.
    public var continueToken: String?
    /// `resourceVersion` to list at (or watch from).
    public var resourceVersion: String?
    /// `resourceVersionMatch` (`Exact` or `NotOlderThan`).
    public var resourceVersionMatch: String?
    /// Server-side timeout (`timeoutSeconds`).
    public var timeoutSeconds: Int?

    /// Creates list options; all empty by default.
    public init(
        labelSelector: String? = nil,
        fieldSelector: String? = nil,
        limit: Int? = nil,
        continueToken: String? = nil,
        resourceVersion: String? = nil,
        resourceVersionMatch: String? = nil,
        timeoutSeconds: Int? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
        self.timeoutSeconds = timeoutSeconds
    }

    var query: [(String, String)] {
        var query: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { query.append(("fieldSelector", fieldSelector)) }
        if let limit { query.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { query.append(("continue", continueToken)) }
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        if let resourceVersionMatch { query.append(("resourceVersionMatch", resourceVersionMatch)) }
        if let timeoutSeconds { query.append(("timeoutSeconds", String(timeoutSeconds))) }
        return query
    }
}
