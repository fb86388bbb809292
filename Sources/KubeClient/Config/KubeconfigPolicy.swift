/// What a kubeconfig may ask of the machine that resolves it.
///
/// A kubeconfig read from the user's own disk (kubectl's case) is trusted: it may run credential
/// plugins and read files. One that arrives over the network and is resolved on a server is not:
/// an `exec` plugin would run a command of the sender's choice on that server, and a file path
/// would read the server's files into a TLS handshake or an `Authorization` header. Such a
/// kubeconfig must carry everything inline (`*-data`, `token`) unless the operator opted in.
public struct KubeconfigPolicy: Sendable, Hashable {
    /// `users[].user.exec` credential plugins may run.
    public var allowsExec: Bool
    /// `certificate-authority`, `client-certificate`, `client-key` and `tokenFile` may name files.
    public var allowsFiles: Bool
    /// Plain `http://` servers and `insecure-skip-tls-verify: true` are accepted.
    public var allowsInsecureTransport: Bool

    /// Creates a policy; the defaults refuse everything that reaches beyond the document.
    public init(allowsExec: Bool = false, allowsFiles: Bool = false, allowsInsecureTransport: Bool = false) {
        self.allowsExec = allowsExec
        self.allowsFiles = allowsFiles
        self.allowsInsecureTransport = allowsInsecureTransport
    }

    /// Everything allowed: a kubeconfig the local user wrote.
    public static let trusted = KubeconfigPolicy(allowsExec: true, allowsFiles: true, allowsInsecureTransport: true)
    /// Nothing beyond the document and TLS-verified https: a kubeconfig that came from someone else.
    public static let untrusted = KubeconfigPolicy()

    /// What a policy can refuse, so a caller can name the opt-in that would allow it.
    public enum Refusal: Sendable, Hashable {
        case exec
        case file
        case insecureTransport
    }
}

extension Kubeconfig {
    /// Throws ``KubeconfigError/refused(_:_:)`` for the first cluster or user field `policy` does not
    /// allow. Every entry is checked, not only those of the current context: a document that carries
    /// a plugin or a path is refused as a whole.
    public func check(_ policy: KubeconfigPolicy) throws {
        for name in clusters.keys.sorted() {
            guard let cluster = clusters[name] else { continue }
            let path = "clusters[\"\(name)\"].cluster"
            if !policy.allowsFiles, cluster.certificateAuthority?.isEmpty == false {
                throw KubeconfigError.refused("\(path).certificate-authority", .file)
            }
            if !policy.allowsInsecureTransport {
                if cluster.insecureSkipTLSVerify {
                    throw KubeconfigError.refused("\(path).insecure-skip-tls-verify", .insecureTransport)
                }
                if let server = cluster.server, server.lowercased().hasPrefix("http://") {
                    throw KubeconfigError.refused("\(path).server", .insecureTransport)
                }
            }
        }
        for name in users.keys.sorted() {
            guard let user = users[name] else { continue }
            let path = "users[\"\(name)\"].user"
            if !policy.allowsExec, user.exec != nil {
                throw KubeconfigError.refused("\(path).exec", .exec)
            }
            guard !policy.allowsFiles else { continue }
            for (field, value) in [
                ("client-certificate", user.clientCertificate), ("client-key", user.clientKey),
                ("tokenFile", user.tokenFile),
            ] where value?.isEmpty == false {
                throw KubeconfigError.refused("\(path).\(field)", .file)
            }
        }
    }
}
