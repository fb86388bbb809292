import Crypto
import Foundation
import SwiftASN1
import X509

/// A certificate authority generated at startup and a serving certificate it signed for `localhost`,
/// 127.0.0.1 and the configured host, so the simulator can serve HTTPS (kubectl only sends bearer
/// tokens over TLS) and kubeconfigs can pin the CA with `certificate-authority-data`.
public struct SelfSignedAuthority: Sendable {
    /// PEM of the CA certificate (what clients trust).
    public let caCertificatePEM: String
    /// PEM of the serving certificate.
    public let serverCertificatePEM: String
    /// PEM (PKCS#8) of the serving key.
    public let serverKeyPEM: String

    /// Generates a fresh CA and serving certificate valid for a year.
    public init(host: String) throws {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("kubesim-ca") }
        let now = Date()
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey))
        let key = P256.Signing.PrivateKey()
        var names: [GeneralName] = [.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))]
        let octets = host.split(separator: ".").compactMap { UInt8($0) }
        if octets.count == 4, host != "127.0.0.1" {
            names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(octets))))
        } else if octets.count != 4, host != "localhost" {
            names.append(.dnsName(host))
        }
        let server = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: caName, subject: try DistinguishedName { CommonName("kube-apiserver") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(caKey))
        caCertificatePEM = try ca.serializeAsPEM().pemString
        serverCertificatePEM = try server.serializeAsPEM().pemString
        serverKeyPEM = key.pemRepresentation
    }
}
