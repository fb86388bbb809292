import GaleJSON

/// One rule of a Role or ClusterRole (`rbac.authorization.k8s.io/v1` PolicyRule), matched the way the RBAC
/// authorizer matches it.
public struct PolicyRule: Sendable, Hashable {
    /// Verbs, or `*`.
    public var verbs: [String]
    /// API groups (`""` for core), or `*`.
    public var apiGroups: [String]
    /// Resources (`pods`, `pods/log`, `*/scale`), or `*`.
    public var resources: [String]
    /// Object names the rule is limited to; empty for all.
    public var resourceNames: [String]
    /// Non-resource paths (`/healthz`, `/apis/*`), or `*`.
    public var nonResourceURLs: [String]

    public init(
        verbs: [String], apiGroups: [String] = [], resources: [String] = [], resourceNames: [String] = [],
        nonResourceURLs: [String] = []
    ) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.nonResourceURLs = nonResourceURLs
    }

    /// Reads a rule from its JSON form; missing lists are empty.
    public init(json: JSONValue) {
        func strings(_ key: String) -> [String] { (json[key]?.arrayValue ?? []).compactMap(\.stringValue) }
        self.init(
            verbs: strings("verbs"), apiGroups: strings("apiGroups"), resources: strings("resources"),
            resourceNames: strings("resourceNames"), nonResourceURLs: strings("nonResourceURLs"))
    }

    /// The JSON form, with empty lists left out.
    public var json: JSONValue {
        var object: JSONValue = ["verbs": .array(verbs.map { .string($0) })]
        for (key, values) in [
            ("apiGroups", apiGroups), ("resources", resources), ("resourceNames", resourceNames),
            ("nonResourceURLs", nonResourceURLs),
        ] where !values.isEmpty {
            object[key] = .array(values.map { .string($0) })
        }
        return object
    }

    /// Whether the rule allows the request.
    public func allows(_ request: RequestAttributes) -> Bool {
        guard verbs.contains("*") || verbs.contains(request.verb) else { return false }
        guard request.isResourceRequest else { return matchesPath(request.path) }
        return (apiGroups.contains("*") || apiGroups.contains(request.apiGroup))
            && matchesResource(request.resource, subresource: request.subresource)
            && (resourceNames.isEmpty || resourceNames.contains(request.name))
    }

    func matchesResource(_ resource: String, subresource: String) -> Bool {
        let combined = subresource.isEmpty ? resource : "\(resource)/\(subresource)"
        for ruleResource in resources {
            if ruleResource == "*" || ruleResource == combined { return true }
            if !subresource.isEmpty, ruleResource.hasPrefix("*/"), ruleResource.dropFirst(2) == subresource {
                return true
            }
        }
        return false
    }

    func matchesPath(_ path: String) -> Bool {
        for url in nonResourceURLs {
            if url == "*" || url == path { return true }
            if url.hasSuffix("*"), path.hasPrefix(url.dropLast()) { return true }
        }
        return false
    }
}
