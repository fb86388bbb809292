import Foundation
import GaleJSON
import JWTKit

/// The keys tokens are verified with, each kind in its own collection so that a token is checked
/// only by the key its header selects: HS256 by the gateway's secret, RS256/ES256 by the JWKS key
/// its `kid` names, or else by the configured PEM public key. A `kid` the JWKS does not hold never
/// falls back to another JWKS key.
struct TokenKeys: Sendable {
    /// The gateway's secret; also what it signs with.
    let secret: JWTKeyCollection?
    /// The PEM public key and the algorithm it verifies ("RS256" or "ES256").
    let publicKey: (keys: JWTKeyCollection, algorithm: String)?
    /// The JWKS and the key ids it holds.
    let keySet: (keys: JWTKeyCollection, kids: Set<String>)?

    static let secretKid: JWKIdentifier = "hs"

    init(secret: String?, publicKeyPEM: String?, jwksJSON: String?) async throws {
        if let secret {
            guard secret.utf8.count >= 32 else { throw ConfigurationError("the JWT secret must be at least 32 bytes") }
            self.secret = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: Self.secretKid)
        } else {
            self.secret = nil
        }
        if let publicKeyPEM {
            publicKey = try await Self.publicKey(publicKeyPEM)
        } else {
            publicKey = nil
        }
        if let jwksJSON {
            keySet = try await Self.keySet(jwksJSON)
        } else {
            keySet = nil
        }
        guard secret != nil || publicKeyPEM != nil || jwksJSON != nil else {
            throw ConfigurationError("a JWT secret, a public key or a JWKS is required")
        }
    }

    /// An RSA or P-256 public key in PEM.
    private static func publicKey(_ pem: String) async throws -> (keys: JWTKeyCollection, algorithm: String) {
        if let key = try? Insecure.RSA.PublicKey(pem: pem) {
            return (await JWTKeyCollection().add(rsa: key, digestAlgorithm: .sha256), "RS256")
        }
        if let key = try? ES256PublicKey(pem: pem) {
            return (await JWTKeyCollection().add(ecdsa: key), "ES256")
        }
        throw ConfigurationError("the JWT public key is neither an RSA nor a P-256 PEM public key")
    }

    /// RSA and P-256 keys of a JWKS, each with a `kid`; keys for encryption or other curves are skipped.
    private static func keySet(_ json: String) async throws -> (keys: JWTKeyCollection, kids: Set<String>) {
        guard let set = try? JSONDecoder().decode(JWKS.self, from: Data(json.utf8)) else {
            throw ConfigurationError("the JWKS file is not a JSON Web Key Set")
        }
        let collection = JWTKeyCollection()
        var kids: Set<String> = []
        for key in set.keys where key.keyType == .rsa || (key.keyType == .ecdsa && key.curve == .ecdsa(.p256)) {
            guard let kid = key.keyIdentifier else { throw ConfigurationError("every key of the JWKS needs a kid") }
            if let algorithm = key.algorithm, algorithm != .rs256, algorithm != .es256 { continue }
            do {
                try await collection.add(jwk: key)
            } catch {
                throw ConfigurationError("the JWKS key \"\(kid.string)\" cannot be read")
            }
            kids.insert(kid.string)
        }
        guard !kids.isEmpty else { throw ConfigurationError("the JWKS holds no RS256 or ES256 key") }
        return (collection, kids)
    }

    /// Verifies the signature with the key the header selects and returns the claims.
    func verify(_ token: String) async throws -> TokenClaims {
        let header = try Self.header(of: token)
        if header.alg == "HS256" {
            guard let secret else { throw VerificationFailure() }
            return try await secret.verify(token, as: TokenClaims.self)
        }
        guard header.alg == "RS256" || header.alg == "ES256" else { throw VerificationFailure() }
        // Only a kid the set holds reaches it: jwt-kit would try its default key for another.
        if let kid = header.kid, let keySet, keySet.kids.contains(kid) {
            return try await keySet.keys.verify(token, as: TokenClaims.self)
        }
        guard let publicKey, publicKey.algorithm == header.alg else { throw VerificationFailure() }
        return try await publicKey.keys.verify(token, as: TokenClaims.self)
    }

    /// `alg` and `kid` of the token's header.
    private static func header(of token: String) throws -> (alg: String?, kid: String?) {
        guard let encoded = token.split(separator: ".", omittingEmptySubsequences: false).first,
            let data = Data(base64URLEncoded: String(encoded)),
            let header = try? JSONParser.parse(data)
        else { throw VerificationFailure() }
        return (header["alg"]?.stringValue, header["kid"]?.stringValue)
    }

    struct VerificationFailure: Error {}
}

extension Data {
    /// Base64url without padding (RFC 7515 §2).
    fileprivate init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
