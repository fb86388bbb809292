import GaleJSON

/// The RBAC objects of one moment, indexed by subject: which rules each user and group holds, where.
///
/// Built once per change of the RBAC objects (see ``RBACAuthorizer``), so that authorizing a request
/// looks at the bindings of its user and groups only, never at every role.
struct RBACIndex: Sendable {
    /// Rules granted to a subject by one binding.
    struct Grant: Sendable {
        /// The namespace of a RoleBinding; `nil` for a ClusterRoleBinding (every namespace and the cluster scope).
        let namespace: String?
        let rules: [PolicyRule]
        /// `ClusterRoleBinding "x" of ClusterRole "y" to Group "z"`, for review reasons.
        let source: String
    }

    private(set) var byUser: [String: [Grant]] = [:]
    private(set) var byGroup: [String: [Grant]] = [:]

    init() {}

    init(roles: [JSONValue], clusterRoles: [JSONValue], roleBindings: [JSONValue], clusterRoleBindings: [JSONValue]) {
        let clusterRules = Self.clusterRoleRules(clusterRoles)
        var roleRules: [String: [PolicyRule]] = [:]
        for role in roles {
            roleRules[Self.key(role)] = (role["rules"]?.arrayValue ?? []).map(PolicyRule.init(json:))
        }
        for binding in clusterRoleBindings {
            guard binding[path: ["roleRef", "kind"]]?.stringValue == "ClusterRole",
                let roleName = binding[path: ["roleRef", "name"]]?.stringValue, let rules = clusterRules[roleName]
            else { continue }
            let source = "ClusterRoleBinding \(Self.quoted(Self.name(binding))) of ClusterRole \(Self.quoted(roleName))"
            add(binding, namespace: nil, rules: rules, source: source)
        }
        for binding in roleBindings {
            let namespace = binding[path: ["metadata", "namespace"]]?.stringValue ?? ""
            guard let roleName = binding[path: ["roleRef", "name"]]?.stringValue else { continue }
            let kind = binding[path: ["roleRef", "kind"]]?.stringValue
            let rules =
                kind == "ClusterRole"
                ? clusterRules[roleName] : kind == "Role" ? roleRules["\(namespace)/\(roleName)"] : nil
            guard let rules else { continue }
            let source =
                "RoleBinding \(Self.quoted("\(Self.name(binding))/\(namespace)")) of \(kind ?? "") \(Self.quoted(roleName))"
            add(binding, namespace: namespace, rules: rules, source: source)
        }
    }

    private mutating func add(_ binding: JSONValue, namespace: String?, rules: [PolicyRule], source: String) {
        guard !rules.isEmpty else { return }
        for subject in binding["subjects"]?.arrayValue ?? [] {
            guard let name = subject["name"]?.stringValue, !name.isEmpty else { continue }
            switch subject["kind"]?.stringValue {
            case "User":
                byUser[name, default: []].append(
                    Grant(namespace: namespace, rules: rules, source: "\(source) to User \(Self.quoted(name))"))
            case "Group":
                byGroup[name, default: []].append(
                    Grant(namespace: namespace, rules: rules, source: "\(source) to Group \(Self.quoted(name))"))
            case "ServiceAccount":
                let accountNamespace =
                    subject["namespace"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? namespace ?? ""
                guard !accountNamespace.isEmpty else { continue }
                let user = UserInfo.serviceAccountUserName(namespace: accountNamespace, name: name)
                byUser[user, default: []].append(
                    Grant(
                        namespace: namespace, rules: rules,
                        source: "\(source) to ServiceAccount \(Self.quoted("\(name)/\(accountNamespace)"))"))
            default:
                continue
            }
        }
    }

    /// Every ClusterRole's rules; one with an `aggregationRule` also gets the rules of the ClusterRoles its
    /// selectors match, as the aggregation controller would have written them.
    private static func clusterRoleRules(_ clusterRoles: [JSONValue]) -> [String: [PolicyRule]] {
        var own: [String: [PolicyRule]] = [:]
        for role in clusterRoles { own[name(role)] = (role["rules"]?.arrayValue ?? []).map(PolicyRule.init(json:)) }
        var result = own
        for role in clusterRoles {
            let selectors = (role[path: ["aggregationRule", "clusterRoleSelectors"]]?.arrayValue ?? []).map {
                LabelSelector(object: $0)
            }
            guard !selectors.isEmpty else { continue }
            var rules = own[name(role)] ?? []
            for other in clusterRoles where name(other) != name(role) {
                let labels = other[path: ["metadata", "labels"]]?.stringMap ?? [:]
                guard selectors.contains(where: { $0.matches(labels) }) else { continue }
                for rule in own[name(other)] ?? [] where !rules.contains(rule) { rules.append(rule) }
            }
            result[name(role)] = rules
        }
        return result
    }

    /// The grants that apply to a user (by name and by each group).
    func grants(for user: UserInfo) -> [Grant] {
        var grants = byUser[user.name] ?? []
        for group in user.groups { grants += byGroup[group] ?? [] }
        return grants
    }

    /// The first grant that allows the request, if any.
    func allowingGrant(_ request: RequestAttributes) -> Grant? {
        for grant in grants(for: request.user) where Self.applies(grant, to: request) {
            if grant.rules.contains(where: { $0.allows(request) }) { return grant }
        }
        return nil
    }

    /// The rules a user holds in a namespace (cluster-wide ones included), without duplicates.
    func rules(for user: UserInfo, namespace: String) -> [PolicyRule] {
        var rules: [PolicyRule] = []
        for grant in grants(for: user) where grant.namespace == nil || grant.namespace == namespace {
            for rule in grant.rules where !rules.contains(rule) { rules.append(rule) }
        }
        return rules
    }

    /// A ClusterRoleBinding applies everywhere; a RoleBinding only to resource requests in its namespace.
    private static func applies(_ grant: Grant, to request: RequestAttributes) -> Bool {
        guard let namespace = grant.namespace else { return true }
        return request.isResourceRequest && !request.namespace.isEmpty && request.namespace == namespace
    }

    private static func name(_ object: JSONValue) -> String { object[path: ["metadata", "name"]]?.stringValue ?? "" }

    private static func key(_ object: JSONValue) -> String {
        "\(object[path: ["metadata", "namespace"]]?.stringValue ?? "")/\(name(object))"
    }

    private static func quoted(_ text: String) -> String { "\"\(text)\"" }
}
