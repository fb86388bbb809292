/// Errors thrown while parsing a kubeconfig or resolving one of its contexts.
///
/// Descriptions are meant for people and never contain secret material: no tokens, passwords,
/// keys, certificates or kubeconfig text, only names, field paths, file paths and server URLs.
public struct KubeconfigError: Error, Equatable, CustomStringConvertible {
    private enum Value: Equatable {
        case invalidYAML(String)
        case invalidDocument(String)
        case currentContextNotSet
        case contextNotFound(String)
        case clusterNotFound(String, context: String)
        case userNotFound(String, context: String)
        case missingServer(cluster: String)
        case invalidServerURL(cluster: String)
        case invalidField(String, reason: String)
        case unreadableFile(field: String, path: String)
        case unsupportedAuthProvider(user: String, name: String)
        case execFailed(command: String, reason: String)
        case refused(field: String, KubeconfigPolicy.Refusal)
    }

    private let value: Value
    private init(_ value: Value) { self.value = value }

    /// The document is not YAML (or JSON); the reason names the position, never the text.
    public static func invalidYAML(_ reason: String) -> Self { .init(.invalidYAML(reason)) }
    /// The document is YAML but not shaped like a kubeconfig.
    public static func invalidDocument(_ reason: String) -> Self { .init(.invalidDocument(reason)) }
    /// No context was asked for and the kubeconfig has no `current-context`.
    public static var currentContextNotSet: Self { .init(.currentContextNotSet) }
    /// The named context does not exist.
    public static func contextNotFound(_ name: String) -> Self { .init(.contextNotFound(name)) }
    /// A context names a cluster that does not exist.
    public static func clusterNotFound(_ name: String, context: String) -> Self {
        .init(.clusterNotFound(name, context: context))
    }
    /// A context names a user that does not exist.
    public static func userNotFound(_ name: String, context: String) -> Self {
        .init(.userNotFound(name, context: context))
    }
    /// A cluster has no `server`.
    public static func missingServer(cluster: String) -> Self { .init(.missingServer(cluster: cluster)) }
    /// A cluster's `server` is not an http(s) URL with a host, or has a query, fragment or credentials.
    public static func invalidServerURL(cluster: String) -> Self { .init(.invalidServerURL(cluster: cluster)) }
    /// A field has the wrong type or content; `field` is a path such as `users["admin"].token`.
    public static func invalidField(_ field: String, reason: String) -> Self {
        .init(.invalidField(field, reason: reason))
    }
    /// A file that a field points at cannot be read.
    public static func unreadableFile(field: String, path: String) -> Self {
        .init(.unreadableFile(field: field, path: path))
    }
    /// A user relies on a legacy `auth-provider`, which this client does not implement.
    public static func unsupportedAuthProvider(user: String, name: String) -> Self {
        .init(.unsupportedAuthProvider(user: user, name: name))
    }
    /// An exec credential plugin could not be run or printed something unusable.
    public static func execFailed(command: String, reason: String) -> Self {
        .init(.execFailed(command: command, reason: reason))
    }

    /// A field the ``KubeconfigPolicy`` in force does not allow.
    public static func refused(_ field: String, _ refusal: KubeconfigPolicy.Refusal) -> Self {
        .init(.refused(field: field, refusal))
    }

    /// What the policy refused, when this error is a refusal; callers name the opt-in that allows it.
    public var refusal: KubeconfigPolicy.Refusal? {
        if case .refused(_, let refusal) = value { refusal } else { nil }
    }

    public var description: String {
        switch self.value {
        case .invalidYAML(let reason): "kubeconfig is not valid YAML: \(reason)"
        case .invalidDocument(let reason): "kubeconfig is not usable: \(reason)"
        case .currentContextNotSet: "current-context is not set"
        case .contextNotFound(let name): "context \"\(name)\" not found"
        case .clusterNotFound(let name, let context): "cluster \"\(name)\" (of context \"\(context)\") not found"
        case .userNotFound(let name, let context): "user \"\(name)\" (of context \"\(context)\") not found"
        case .missingServer(let cluster): "cluster \"\(cluster)\" has no server URL"
        case .invalidServerURL(let cluster):
            // The URL is not quoted: one this check refuses may carry credentials.
            "cluster \"\(cluster)\" has a server URL that is not http(s) with a host and without query, fragment or credentials"
        case .invalidField(let field, let reason): "\(field) \(reason)"
        case .unreadableFile(let field, let path): "\(field): cannot read file \"\(path)\""
        case .unsupportedAuthProvider(let user, let name):
            "user \"\(user)\" uses auth-provider \"\(name)\", which is not supported; use an exec credential plugin"
        case .execFailed(let command, let reason): "exec credential plugin \"\(command)\" failed: \(reason)"
        case .refused(let field, .exec): "\(field) is not allowed: credential plugins would run commands on this host"
        case .refused(let field, .file): "\(field) is not allowed: files of this host cannot be named; embed the data"
        case .refused(let field, .insecureTransport):
            "\(field) is not allowed: the server must be https with a verified certificate"
        }
    }
}
