import GaleJSON

/// Who a request acts as, after authentication and impersonation: the `user.Info` of the apiserver.
public struct UserInfo: Sendable, Hashable {
    /// User name (`kubesim-admin`, `bob`, `system:serviceaccount:demo:viewer`).
    public var name: String
    /// Unique id, often empty.
    public var uid: String
    /// Groups, including `system:authenticated` for authenticated users.
    public var groups: [String]
    /// Extra attributes (`Impersonate-Extra-*`), keys in lower case.
    public var extra: [String: [String]]

    public init(name: String, uid: String = "", groups: [String] = [], extra: [String: [String]] = [:]) {
        self.name = name
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }

    /// The group every authenticated user is in.
    public static let authenticatedGroup = "system:authenticated"
    /// The group of requests without credentials.
    public static let unauthenticatedGroup = "system:unauthenticated"
    /// The group that every authorizer allows everything (the apiserver's privileged group).
    public static let mastersGroup = "system:masters"
    /// The user of requests without credentials.
    public static let anonymousName = "system:anonymous"
    private static let serviceAccountPrefix = "system:serviceaccount:"

    /// The identity of the simulator's configured bearer token.
    public static let admin = UserInfo(name: "kubesim-admin", groups: [mastersGroup, authenticatedGroup])

    /// A service account's user, with the groups the token authenticator gives it.
    public static func serviceAccount(namespace: String, name: String) -> UserInfo {
        UserInfo(
            name: serviceAccountUserName(namespace: namespace, name: name),
            groups: serviceAccountGroups(namespace: namespace) + [authenticatedGroup])
    }

    /// `system:serviceaccount:NAMESPACE:NAME`.
    public static func serviceAccountUserName(namespace: String, name: String) -> String {
        serviceAccountPrefix + namespace + ":" + name
    }

    /// `system:serviceaccounts` and `system:serviceaccounts:NAMESPACE`.
    public static func serviceAccountGroups(namespace: String) -> [String] {
        ["system:serviceaccounts", "system:serviceaccounts:\(namespace)"]
    }

    /// Namespace and name when the user name is a service account's.
    public var serviceAccount: (namespace: String, name: String)? {
        guard name.hasPrefix(Self.serviceAccountPrefix) else { return nil }
        let parts = name.dropFirst(Self.serviceAccountPrefix.count).split(
            separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// The `userInfo` object of reviews (`username`, `uid`, `groups`, `extra`).
    var json: JSONValue {
        var object: JSONValue = ["username": .string(name), "groups": .array(groups.map { .string($0) })]
        if !uid.isEmpty { object["uid"] = .string(uid) }
        if !extra.isEmpty { object["extra"] = .object(extra.mapValues { .array($0.map { .string($0) }) }) }
        return object
    }
}
