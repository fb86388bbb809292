import Crypto
import Foundation
import SwiftASN1
import X509

/// A throwaway certificate authority with a server certificate for `localhost` and 127.0.0.1 and a
/// client certificate, generated fresh for each test that needs TLS.
struct TestPKI {
    struct Identity {
        var certificatePEM: String
        var keyPEM: String
    }

    let caPEM: String
    let server: Identity
    let client: Identity

    init(serverNames: [String] = ["localhost"], includeIPAddress: Bool = true, clientName: String = "test-user") throws
    {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("KubeClient Test CA \(UUID().uuidString.prefix(8))") }
        let now = Date()
        let ca = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86400),
            issuer: caName,
            subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey)
        )
        func issue(_ commonName: String, names: [String], ip: Bool, usage: ExtendedKeyUsage.Usage) throws -> Identity {
            let key = P256.Signing.PrivateKey()
            var alternativeNames: [GeneralName] = names.map { .dnsName($0) }
            if ip { alternativeNames.append(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))) }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: .init(key.publicKey),
                notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: now.addingTimeInterval(86400),
                issuer: caName,
                subject: try DistinguishedName { CommonName(commonName) },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([usage])
                    SubjectAlternativeNames(alternativeNames)
                },
                issuerPrivateKey: .init(caKey)
            )
            return Identity(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
        }
        self.caPEM = try ca.serializeAsPEM().pemString
        self.server = try issue("kube-apiserver", names: serverNames, ip: includeIPAddress, usage: .serverAuth)
        self.client = try issue(clientName, names: [], ip: false, usage: .clientAuth)
    }
}
