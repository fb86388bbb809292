/// The user a request is made for, sent as the apiserver's impersonation headers
/// (`Impersonate-User`, `Impersonate-Group`, `Impersonate-Uid`, `Impersonate-Extra-*`).
///
/// The client's own credentials must be allowed to `impersonate` users and groups; Kubernetes
/// then authorizes the request as the impersonated user, so its RBAC decides.
public struct KubeImpersonation: Sendable, Hashable {
    /// The user name.
    public var user: String
    /// Its groups; the apiserver adds `system:authenticated` itself.
    public var groups: [String]
    /// Its uid, when the identity provider gives one.
    public var uid: String?
    /// Extra attributes (`Impersonate-Extra-<key>`), such as scopes.
    public var extra: [String: [String]]

    /// Creates an identity to impersonate.
    public init(user: String, groups: [String] = [], uid: String? = nil, extra: [String: [String]] = [:]) {
        self.user = user
        self.groups = groups
        self.uid = uid
        self.extra = extra
    }

    /// The headers, in a stable order. Throws when a value could not travel in an HTTP header
    /// (a line break or another control character), which would split or forge headers.
    func headers() throws -> [(String, String)] {
        var headers = [("Impersonate-User", user)]
        headers += groups.map { ("Impersonate-Group", $0) }
        if let uid { headers.append(("Impersonate-Uid", uid)) }
        for key in extra.keys.sorted() {
            // Header names are case-insensitive, so keys travel percent-encoded (as client-go does).
            let name = "Impersonate-Extra-" + KubeClient.encodeQuery(key)
            headers += (extra[key] ?? []).map { (name, $0) }
        }
        for (name, value) in headers where value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw KubeError.decoding("the \(name) header would contain a control character")
        }
        return headers
    }
}
