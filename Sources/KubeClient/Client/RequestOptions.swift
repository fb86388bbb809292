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

/// How dependents of a deleted object are treated.
public struct PropagationPolicy: Sendable, Hashable, CustomStringConvertible {
    /// The value sent to the server.
    public let description: String
    private init(_ value: String) { self.description = value }
    /// Delete dependents in the background (the default for most kinds).
    public static var background: Self { .init("Background") }
    /// Delete dependents first, then the object.
    public static var foreground: Self { .init("Foreground") }
    /// Leave dependents.
    public static var orphan: Self { .init("Orphan") }
}

/// Options of a delete (or eviction).
public struct DeleteOptions: Sendable, Hashable {
    /// `propagationPolicy`.
    public var propagationPolicy: PropagationPolicy?
    /// `gracePeriodSeconds` (0 deletes at once).
    public var gracePeriodSeconds: Int?
    /// `dryRun=All`: validate and report without deleting.
    public var dryRun: Bool
    /// Only delete if the object still has this `resourceVersion`.
    public var preconditionResourceVersion: String?

    /// Creates delete options; the defaults are the server's.
    public init(
        propagationPolicy: PropagationPolicy? = nil,
        gracePeriodSeconds: Int? = nil,
        dryRun: Bool = false,
        preconditionResourceVersion: String? = nil
    ) {
        self.propagationPolicy = propagationPolicy
        self.gracePeriodSeconds = gracePeriodSeconds
        self.dryRun = dryRun
        self.preconditionResourceVersion = preconditionResourceVersion
    }

    /// The `DeleteOptions` object of the request body.
    var body: KubeJSON {
        var body: KubeJSON = ["apiVersion": "v1", "kind": "DeleteOptions"]
        if let propagationPolicy { body["propagationPolicy"] = .string(propagationPolicy.description) }
        if let gracePeriodSeconds { body["gracePeriodSeconds"] = .int(Int64(gracePeriodSeconds)) }
        if dryRun { body["dryRun"] = ["All"] }
        if let preconditionResourceVersion {
            body["preconditions"] = ["resourceVersion": .string(preconditionResourceVersion)]
        }
        return body
    }
}

/// The kind of a PATCH request.
public struct PatchType: Sendable, Hashable, CustomStringConvertible {
    /// The request's `Content-Type`.
    public let contentType: String
    private init(_ contentType: String) { self.contentType = contentType }
    /// JSON merge patch (RFC 7386).
    public static var merge: Self { .init("application/merge-patch+json") }
    /// Kubernetes strategic merge patch (built-in kinds only).
    public static var strategicMerge: Self { .init("application/strategic-merge-patch+json") }
    /// JSON patch (RFC 6902): an array of operations.
    public static var json: Self { .init("application/json-patch+json") }
    public var description: String { contentType }
}
