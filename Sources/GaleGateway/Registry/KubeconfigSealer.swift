import Crypto
public import Foundation

/// Seals kubeconfigs at rest with AES-256-GCM. The key lives outside the database (a file in the
/// data directory with mode 0600, or `KUBEGALE_SEAL_KEY`), so a copy of the database alone
/// reveals no credentials.
public struct KubeconfigSealer: Sendable {
    private let key: SymmetricKey
    /// Binds sealed boxes to their purpose, so a box cannot be replayed as another kind of secret.
    private static let associatedData = Data("kubegale/kubeconfig/v1".utf8)

    /// - Parameter keyData: 32 bytes.
    public init(keyData: Data) throws {
        guard keyData.count == 32 else { throw ConfigurationError("the seal key must be 32 bytes (base64: 44 characters)") }
        key = SymmetricKey(data: keyData)
    }

    /// A fresh random key, base64-encoded, for a new data directory.
    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    public func seal(_ kubeconfig: String) throws -> Data {
        let box = try AES.GCM.seal(Data(kubeconfig.utf8), using: key, authenticating: Self.associatedData)
        guard let combined = box.combined else { throw ConfigurationError("AES-GCM produced no combined box") }
        return combined
    }

    /// A value that tells whether two gateways have the same key without revealing it: an HMAC of
    /// a fixed label under a key derived from this one. Replicas sharing a database compare it.
    public var check: String {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, info: Data("kubegale/seal-key-check/v1".utf8), outputByteCount: 32)
        return Data(HMAC<SHA256>.authenticationCode(for: Data("kubegale".utf8), using: derived)).base64EncodedString()
    }

    public func open(_ sealed: Data) throws -> String {
        let box = try AES.GCM.SealedBox(combined: sealed)
        let plain = try AES.GCM.open(box, using: key, authenticating: Self.associatedData)
        return String(decoding: plain, as: UTF8.self)
    }
}
