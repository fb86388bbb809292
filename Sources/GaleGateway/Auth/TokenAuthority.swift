public import Foundation
import GaleJSON
import JWTKit

/// Issues and verifies the gateway's JWTs.
///
/// The gateway signs HS256 tokens with its secret. Tokens of an external identity provider are
/// accepted too: RS256 or ES256, verified by a PEM public key or by the key of a JWKS their `kid`
/// names. Every token passes the same checks: required issuer and audience when configured, and
/// `exp`, `nbf` and `iat` within the leeway (see ``Configuration``).
public struct TokenAuthority: Sendable {
    public let configuration: Configuration
    private let keys: TokenKeys
    /// Tokens whose signature already verified (their time claims are checked on every use).
    private let verified = VerifiedTokens()

    /// - Parameters:
    ///   - secret: HS256 shared secret; at least 32 bytes. Needed to issue tokens.
    ///   - publicKeyPEM: Optional PEM public key (RSA for RS256, P-256 for ES256).
    ///   - configuration: Required claims, leeway, claim mapping, JWKS and the longest minted lifetime.
    public init(secret: String?, publicKeyPEM: String? = nil, configuration: Configuration = .init()) async throws {
        guard configuration.maxTTL > .zero else { throw ConfigurationError("the maximum token lifetime must be positive") }
        guard configuration.leeway >= .zero else { throw ConfigurationError("the JWT leeway must not be negative") }
        guard !configuration.userClaim.isEmpty, !configuration.groupsClaim.isEmpty else {
            throw ConfigurationError("the user and groups claim names must not be empty")
        }
        self.keys = try await TokenKeys(secret: secret, publicKeyPEM: publicKeyPEM, jwksJSON: configuration.jwksJSON)
        self.configuration = configuration
    }

    /// Signs a token for `subject`, carrying the configured issuer and audience.
    /// Throws ``TokenIssueError`` when `ttl` is not positive or exceeds ``Configuration/maxTTL``.
    public func issue(
        subject: String,
        role: Role,
        clusters: Principal.ClusterScope,
        ttl: Duration,
        groups: [String] = [],
        now: Date = Date()
    ) async throws -> String {
        guard let secret = keys.secret else { throw ConfigurationError("tokens can only be issued with an HS256 secret") }
        guard ttl > .zero else { throw TokenIssueError.nonPositiveLifetime }
        guard ttl <= configuration.maxTTL else { throw TokenIssueError.lifetimeAboveMaximum(configuration.maxTTL) }
        // Whole seconds: RFC 7519 allows fractions, but many verifiers expect integers.
        let issuedAt = Int64(now.timeIntervalSince1970.rounded(.down))
        var members: [String: JSONValue] = [
            "sub": .string(subject),
            "iat": .int(issuedAt),
            "exp": .int(issuedAt + ttl.components.seconds),
            "role": .string(role.rawValue),
            "clusters": .array(clusters.claim.map(JSONValue.string)),
        ]
        members[configuration.userClaim] = .string(subject)
        if !groups.isEmpty { members[configuration.groupsClaim] = .array(groups.map(JSONValue.string)) }
        if let issuer = configuration.issuer { members["iss"] = .string(issuer) }
        if let audience = configuration.audience { members["aud"] = .string(audience) }
        return try await secret.sign(TokenClaims(members: members), kid: TokenKeys.secretKid)
    }

    /// Verifies `token` and returns who it names, or the seed error to answer with:
    /// 2001 for a missing, malformed, badly signed, not yet valid or foreign (issuer, audience)
    /// token, 2002 for an expired one.
    public func authenticate(_ token: String?, now: Date = Date()) async throws(APIError) -> Principal {
        guard let token, !token.isEmpty else { throw .unauthenticated("missing bearer token") }
        let claims: TokenClaims
        if let known = verified.claims(of: token) {
            claims = known
        } else {
            do {
                claims = try await keys.verify(token)
            } catch {
                throw .unauthenticated("invalid token")
            }
            verified.remember(token, claims)
        }
        return try claims.validate(configuration, now: now)
    }
}
