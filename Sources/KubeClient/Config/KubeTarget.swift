import Foundation

/// Everything needed to connect to one Kubernetes API server: its URL, how to trust it and how
/// to authenticate. Built by ``Kubeconfig/resolve(context:)`` or directly.
///
/// `description` never shows secret material.
public struct KubeTarget: Sendable, CustomStringConvertible {
    /// How the TLS connection to the server is made.
    public struct TLS: Sendable {
        /// PEM bundle of certificate authorities to trust instead of the system roots.
        public var certificateAuthorityPEM: [UInt8]?
        /// Skip verification of the server's certificate (`insecure-skip-tls-verify`).
        public var insecureSkipTLSVerify: Bool
        /// Name to send as SNI and to verify the certificate against (`tls-server-name`).
        public var serverName: String?
        /// PEM client certificate (chain) for mutual TLS.
        public var clientCertificatePEM: [UInt8]?
        /// PEM private key matching ``clientCertificatePEM``.
        public var clientKeyPEM: [UInt8]?

        /// Creates TLS settings; the defaults verify the server against the system roots.
        public init(
            certificateAuthorityPEM: [UInt8]? = nil,
            insecureSkipTLSVerify: Bool = false,
            serverName: String? = nil,
            clientCertificatePEM: [UInt8]? = nil,
            clientKeyPEM: [UInt8]? = nil
        ) {
            self.certificateAuthorityPEM = certificateAuthorityPEM
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
            self.serverName = serverName
            self.clientCertificatePEM = clientCertificatePEM
            self.clientKeyPEM = clientKeyPEM
        }
    }

    /// The API server's base URL (`https://host:port`, possibly with a path prefix).
    public var server: URL
    /// The kubeconfig context this target was resolved from.
    public var contextName: String
    /// The kubeconfig cluster entry name.
    public var clusterName: String
    /// The kubeconfig user entry name.
    public var userName: String
    /// The context's default namespace, when it sets one.
    public var namespace: String?
    /// TLS settings.
    public var tls: TLS
    /// How requests authenticate (bearer token, token file, basic, exec plugin or none).
    public var credentials: KubeCredentials

    /// Creates a target directly, without a kubeconfig.
    public init(
        server: URL,
        contextName: String = "",
        clusterName: String = "",
        userName: String = "",
        namespace: String? = nil,
        tls: TLS = TLS(),
        credentials: KubeCredentials = .none
    ) {
        self.server = server
        self.contextName = contextName
        self.clusterName = clusterName
        self.userName = userName
        self.namespace = namespace
        self.tls = tls
        self.credentials = credentials
    }

    public var description: String {
        var parts = ["server: \(server.absoluteString)", "context: \(contextName)"]
        if let namespace { parts.append("namespace: \(namespace)") }
        if tls.certificateAuthorityPEM != nil { parts.append("custom CA") }
        if tls.insecureSkipTLSVerify { parts.append("insecure-skip-tls-verify") }
        if let name = tls.serverName { parts.append("tls-server-name: \(name)") }
        if tls.clientCertificatePEM != nil { parts.append("client certificate") }
        parts.append("auth: \(credentials)")
        return "KubeTarget(" + parts.joined(separator: ", ") + ")"
    }
}
