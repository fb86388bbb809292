public import Foundation
import JWTKit

/// Issues and verifies the gateway's JWTs.
///
/// Tokens are HS256 with the gateway's secret; when an RS256 public key is configured, tokens
/// signed by the matching private key (an external identity provider) are accepted too.
public struct TokenAuthority: Sendable {
    private let keys: JWTKeyCollection
    private let canSign: Bool

    /// - Parameters:
    ///   - secret: HS256 shared secret; at least 32 bytes.
    ///   - rsaPublicKeyPEM: Optional PEM public key for RS256 tokens.
    public init(secret: String?, rsaPublicKeyPEM: String? = nil) async throws {
        let keys = JWTKeyCollection()
        if let secret {
            guard secret.utf8.count >= 32 else { throw ConfigurationError("the JWT secret must be at least 32 bytes") }
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: "hs")
        }
        if let rsaPublicKeyPEM {
            let key = try Insecure.RSA.PublicKey(pem: rsaPublicKeyPEM)
            await keys.add(rsa: key, digestAlgorithm: .sha256, kid: "rs")
        }
        guard secret != nil || rsaPublicKeyPEM != nil else {
            throw ConfigurationError("a JWT secret or an RS256 public key is required")
        }
        self.keys = keys
        self.canSign = secret != nil
    }

    /// Signs a token for `subject`.
    public func issue(
        subject: String,
        role: Role,
        clusters: Principal.ClusterScope,
        ttl: Duration,
        now: Date = Date()
    ) async throws -> String {
        guard canSign else { throw ConfigurationError("tokens can only be issued with an HS256 secret") }
        // Whole seconds: RFC 7519 allows fractions, but many verifiers expect integers.
        let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = GatewayClaims(
            subject: .init(value: subject),
            expiration: .init(value: now.addingTimeInterval(TimeInterval(ttl.components.seconds))),
            issuedAt: .init(value: now),
            role: role.rawValue,
            clusters: clusters.claim
        )
        return try await keys.sign(claims, kid: "hs")
    }

    /// Verifies `token` and returns who it names, or the seed error to answer with:
    /// 2001 for a missing, malformed or badly signed token, 2002 for an expired one.
    public func authenticate(_ token: String?, now: Date = Date()) async throws(APIError) -> Principal {
        guard let token, !token.isEmpty else { throw .unauthenticated("missing bearer token") }
        let claims: GatewayClaims
        do {
            claims = try await keys.verify(token, as: GatewayClaims.self, iteratingKeys: true)
        } catch {
            throw .unauthenticated("invalid token")
        }
        guard now < claims.expiration.value else { throw .tokenExpired() }
        guard let role = Role(rawValue: claims.role) else {
            throw .unauthenticated("invalid token: unknown role \"\(claims.role)\"")
        }
        return Principal(
            subject: claims.subject.value,
            role: role,
            clusters: .init(claim: claims.clusters ?? []),
            expiresAt: claims.expiration.value
        )
    }
}

/// The claims of a gateway token.
struct GatewayClaims: JWTPayload {
    var subject: SubjectClaim
    var expiration: ExpirationClaim
    var issuedAt: IssuedAtClaim
    var role: String
    var clusters: [String]?

    enum CodingKeys: String, CodingKey {
        case subject = "sub"
        case expiration = "exp"
        case issuedAt = "iat"
        case role
        case clusters
    }

    /// Signature checks happen in jwt-kit; expiry is checked by ``TokenAuthority`` itself so that
    /// an expired token can be answered with its own code (2002).
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
