import NIOSSL

/// Builds NIOSSL client configurations from a target's TLS settings.
struct KubeTLS: Sendable {
    /// Trust roots, verification mode and the target's own client certificate.
    let base: TLSConfiguration

    init(target: KubeTarget) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let pem = target.tls.certificateAuthorityPEM {
            guard let roots = try? NIOSSLCertificate.fromPEMBytes(pem), !roots.isEmpty else {
                throw KubeconfigError.invalidField("certificate-authority", reason: "does not hold a PEM certificate")
            }
            configuration.trustRoots = .certificates(roots)
        }
        if target.tls.insecureSkipTLSVerify {
            configuration.certificateVerification = .none
        }
        if let certificate = target.tls.clientCertificatePEM, let key = target.tls.clientKeyPEM {
            try Self.addIdentity(to: &configuration, certificatePEM: certificate, keyPEM: key)
        }
        self.base = configuration
    }

    /// The base configuration with a client identity from an exec plugin instead of the target's.
    func with(clientCertificatePEM: [UInt8], keyPEM: [UInt8]) throws -> TLSConfiguration {
        var configuration = base
        do {
            try Self.addIdentity(to: &configuration, certificatePEM: clientCertificatePEM, keyPEM: keyPEM)
        } catch {
            throw KubeError.unauthorized("the exec credential plugin returned an unusable client certificate or key")
        }
        return configuration
    }

    private static func addIdentity(to configuration: inout TLSConfiguration, certificatePEM: [UInt8], keyPEM: [UInt8])
        throws
    {
        guard let chain = try? NIOSSLCertificate.fromPEMBytes(certificatePEM), !chain.isEmpty else {
            throw KubeconfigError.invalidField("client-certificate", reason: "does not hold a PEM certificate")
        }
        guard let key = try? NIOSSLPrivateKey(bytes: keyPEM, format: .pem) else {
            throw KubeconfigError.invalidField("client-key", reason: "does not hold a PEM private key")
        }
        configuration.certificateChain = chain.map { .certificate($0) }
        configuration.privateKey = .privateKey(key)
    }
}
