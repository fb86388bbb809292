import Foundation

/// How a process running in a Kubernetes pod reaches the cluster it runs in, built as client-go's
/// `rest.InClusterConfig` builds it: the API server at `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`
/// (an IPv6 host in brackets), trusted through the service account's `ca.crt`, authenticated with
/// its `token`.
///
/// The kubelet rotates the projected token. The target never holds it: its credentials name the
/// token file, which is read again for every request, so a rotated token is used from the next
/// request on (client-go re-reads it about once a minute).
///
/// Only three files of the service-account directory are read, and only when a target is built or a
/// request is sent: `token`, `ca.crt` and `namespace`. Errors name those paths, never their contents.
public struct InClusterConfig: Sendable, Hashable {
    /// Where the kubelet mounts the service account of a pod.
    public static let defaultDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The service-account directory; ``defaultDirectory`` in a pod, another one in tests.
    public var directory: String
    /// `KUBERNETES_SERVICE_HOST`, when set and not empty.
    public var host: String?
    /// `KUBERNETES_SERVICE_PORT`, when set and not empty.
    public var port: String?

    /// The configuration of this process: `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`
    /// from `environment`, the service account from `directory`.
    public init(
        directory: String = InClusterConfig.defaultDirectory,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.init(
            directory: directory, host: environment["KUBERNETES_SERVICE_HOST"],
            port: environment["KUBERNETES_SERVICE_PORT"])
    }

    /// A configuration with the server's host and port given directly.
    public init(directory: String = InClusterConfig.defaultDirectory, host: String?, port: String?) {
        self.directory = directory
        self.host = host.flatMap { $0.isEmpty ? nil : $0 }
        self.port = port.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The service account's token, re-read for every request.
    public var tokenPath: String { file("token") }
    /// The certificate authorities that sign the API server's certificate.
    public var certificateAuthorityPath: String { file("ca.crt") }
    /// The namespace of the pod's service account.
    public var namespacePath: String { file("namespace") }

    private func file(_ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Whether this looks like a pod: the service variables are set and the token is readable.
    public var isAvailable: Bool {
        host != nil && port != nil && FileManager.default.isReadableFile(atPath: tokenPath)
    }

    /// `https://host:port`, with an IPv6 host in brackets.
    public func server() throws(InClusterConfigError) -> URL {
        guard let host, let port else { throw .notInCluster }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        guard !bare.isEmpty,
            bare.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || ".-:%".unicodeScalars.contains($0) })
        else {
            throw .invalidVariable("KUBERNETES_SERVICE_HOST")
        }
        guard let number = Int(port), (1...65535).contains(number) else {
            throw .invalidVariable("KUBERNETES_SERVICE_PORT")
        }
        let authority = bare.contains(":") ? "[\(bare)]:\(number)" : "\(bare):\(number)"
        guard let url = URL(string: "https://\(authority)"), url.host != nil else {
            throw .invalidVariable("KUBERNETES_SERVICE_HOST")
        }
        return url
    }

    /// The API server, its certificate authorities and the token file, checked: the token must be
    /// readable and not empty, `ca.crt` must hold PEM certificates.
    public func target() throws(InClusterConfigError) -> KubeTarget {
        let server = try server()
        try checkToken()
        guard let authority = FileManager.default.contents(atPath: certificateAuthorityPath) else {
            throw .unreadable(certificateAuthorityPath)
        }
        let pem = [UInt8](authority)
        do {
            try Kubeconfig.checkCertificates(pem, field: certificateAuthorityPath)
        } catch {
            throw .invalidCertificateAuthority(certificateAuthorityPath)
        }
        return KubeTarget(
            server: server, contextName: "in-cluster", clusterName: "in-cluster", userName: "service-account",
            namespace: namespace(), tls: KubeTarget.TLS(certificateAuthorityPEM: pem),
            credentials: .tokenFile(path: tokenPath))
    }

    /// The pod's namespace, when the service account names one (a DNS label).
    public func namespace() -> String? {
        guard let data = FileManager.default.contents(atPath: namespacePath),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty,
            text.count <= 63, text.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
        else { return nil }
        return text
    }

    private func checkToken() throws(InClusterConfigError) {
        guard let data = FileManager.default.contents(atPath: tokenPath) else { throw .unreadable(tokenPath) }
        guard data.contains(where: { !Character(UnicodeScalar($0)).isWhitespace }) else { throw .emptyToken(tokenPath) }
    }
}
