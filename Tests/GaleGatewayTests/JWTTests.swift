import CryptoExtras
import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import JWTKit
import NIOHTTP1
import Testing

/// Issuer and audience, leeway on exp/nbf/iat, claim mapping, the minting limit, and foreign
/// tokens verified through a PEM key or a JWKS.
@Suite("JWT checks")
struct JWTTests {
    static let secret = TestGateway.secret

    /// What `authority` answers for `token`: the principal, or the refusal's code.
    static func outcome(_ authority: TokenAuthority, _ token: String, now: Date = Date()) async -> Result<Principal, APIError> {
        do throws(APIError) {
            return .success(try await authority.authenticate(token, now: now))
        } catch {
            return .failure(error)
        }
    }

    static func code(_ authority: TokenAuthority, _ token: String, now: Date = Date()) async -> ErrorCode? {
        if case .failure(let error) = await outcome(authority, token, now: now) { return error.code }
        return nil
    }

    /// Signs arbitrary claims with the gateway's secret, as a foreign issuer sharing it would.
    static func signed(_ members: [String: JSONValue], keys: JWTKeyCollection? = nil, kid: String = "hs") async throws -> String {
        let collection: JWTKeyCollection
        if let keys {
            collection = keys
        } else {
            collection = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: "hs")
        }
        return try await collection.sign(RawClaims(members: members), kid: JWKIdentifier(string: kid))
    }

    static func claims(
        expiresIn: TimeInterval = 600, extra: [String: JSONValue] = [:], now: Date = Date()
    ) -> [String: JSONValue] {
        var members: [String: JSONValue] = [
            "sub": "alice", "role": "viewer", "clusters": ["*"],
            "exp": .int(Int64(now.timeIntervalSince1970 + expiresIn)),
        ]
        members.merge(extra) { _, new in new }
        return members
    }

    @Test("a required issuer and audience: missing or other values are 2001; minted tokens carry both")
    func issuerAndAudience() async throws {
        let authority = try await TokenAuthority(
            secret: Self.secret, configuration: .init(issuer: "https://idp.example", audience: "kubegale"))
        let cases: [([String: JSONValue], ErrorCode?)] = [
            ([:], .unauthenticated),
            (["iss": "https://idp.example"], .unauthenticated),
            (["aud": "kubegale"], .unauthenticated),
            (["iss": "https://evil.example", "aud": "kubegale"], .unauthenticated),
            (["iss": "https://idp.example", "aud": "other"], .unauthenticated),
            (["iss": "https://idp.example", "aud": ["other", "more"]], .unauthenticated),
            (["iss": "https://idp.example", "aud": "kubegale"], nil),
            (["iss": "https://idp.example", "aud": ["other", "kubegale"]], nil),
        ]
        for (extra, expected) in cases {
            let token = try await Self.signed(Self.claims(extra: extra))
            #expect(await Self.code(authority, token) == expected, "\(extra)")
        }
        let minted = try await authority.issue(subject: "bob", role: .operator, clusters: .all, ttl: .seconds(60))
        #expect(await Self.code(authority, minted) == nil)
        let lax = try await TokenAuthority(secret: Self.secret)
        let foreign = try await lax.issue(subject: "bob", role: .operator, clusters: .all, ttl: .seconds(60))
        #expect(await Self.code(authority, foreign) == .unauthenticated)
    }

    @Test("nbf in the future is 2001, within the leeway accepted; exp within the leeway accepted, beyond 2002")
    func timesWithLeeway() async throws {
        let authority = try await TokenAuthority(secret: Self.secret, configuration: .init(leeway: .seconds(30)))
        let now = Date()
        let at = { (offset: TimeInterval) in JSONValue.int(Int64(now.timeIntervalSince1970 + offset)) }
        let cases: [([String: JSONValue], ErrorCode?)] = [
            (Self.claims(extra: ["nbf": at(120)], now: now), .unauthenticated),
            (Self.claims(extra: ["nbf": at(20)], now: now), nil),
            (Self.claims(extra: ["iat": at(120)], now: now), .unauthenticated),
            (Self.claims(extra: ["iat": at(20)], now: now), nil),
            (Self.claims(expiresIn: -20, now: now), nil),
            (Self.claims(expiresIn: -40, now: now), .tokenExpired),
            (Self.claims(now: now).filter { $0.key != "exp" }, .unauthenticated),
        ]
        for (members, expected) in cases {
            let token = try await Self.signed(members)
            #expect(await Self.code(authority, token, now: now) == expected, "\(members)")
        }
    }

    @Test("the user and groups come from configurable claims; a malformed groups claim is 2001")
    func claimMapping() async throws {
        let standard = try await TokenAuthority(secret: Self.secret)
        let token = try await Self.signed(Self.claims(extra: ["groups": ["dev", "ops"]]))
        let principal = try await standard.authenticate(token)
        #expect(principal.subject == "alice")
        #expect(principal.groups == ["dev", "ops"])

        let mapped = try await TokenAuthority(
            secret: Self.secret, configuration: .init(userClaim: "email", groupsClaim: "teams"))
        let custom = try await Self.signed(
            Self.claims(extra: ["email": "alice@example.com", "teams": ["blue"], "groups": ["ignored"]]))
        let mappedPrincipal = try await mapped.authenticate(custom)
        #expect(mappedPrincipal.subject == "alice@example.com")
        #expect(mappedPrincipal.groups == ["blue"])
        #expect(await Self.code(mapped, token) == .unauthenticated)  // no email claim
        let badGroups = try await Self.signed(Self.claims(extra: ["groups": "dev"]))
        #expect(await Self.code(standard, badGroups) == .unauthenticated)
        let minted = try await mapped.issue(subject: "carol", role: .admin, clusters: .all, ttl: .seconds(60), groups: ["g"])
        let mintedPrincipal = try await mapped.authenticate(minted)
        #expect(mintedPrincipal.subject == "carol")
        #expect(mintedPrincipal.groups == ["g"])
    }

    @Test("minting beyond the maximum lifetime is refused")
    func maximumLifetime() async throws {
        let authority = try await TokenAuthority(secret: Self.secret, configuration: .init(maxTTL: .seconds(3600)))
        _ = try await authority.issue(subject: "a", role: .viewer, clusters: .all, ttl: .seconds(3600))
        await #expect(throws: TokenIssueError.self) {
            try await authority.issue(subject: "a", role: .viewer, clusters: .all, ttl: .seconds(3601))
        }
        let standard = try await TokenAuthority(secret: Self.secret)
        await #expect(throws: TokenIssueError.self) {
            try await standard.issue(subject: "a", role: .viewer, clusters: .all, ttl: .seconds(25 * 3600))
        }
    }

    @Test("RS256 and ES256 through a JWKS, selected by kid; an unknown kid is 2001")
    func jwks() async throws {
        let rsa = try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        let ec = ES256PrivateKey()
        let (modulus, exponent) = try rsa.publicKey.getKeyPrimitives()
        guard let point = ec.publicKey.parameters else { throw TestFailure("no EC parameters") }
        let set = JWKS(keys: [
            .rsa(.rs256, identifier: "rsa-1", modulus: modulus.base64URL, exponent: exponent.base64URL),
            .ecdsa(.es256, identifier: "ec-1", x: point.x, y: point.y, curve: .p256),
        ])
        let json = String(decoding: try JSONEncoder().encode(set), as: UTF8.self)
        let authority = try await TokenAuthority(secret: nil, configuration: .init(jwksJSON: json))

        let signers = JWTKeyCollection()
        await signers.add(rsa: rsa, digestAlgorithm: .sha256, kid: "rsa-1")
        await signers.add(ecdsa: ec, kid: "ec-1")
        await signers.add(rsa: rsa, digestAlgorithm: .sha256, kid: "rsa-unknown")
        let other = ES256PrivateKey()
        await signers.add(ecdsa: other, kid: "ec-other")

        let viaRSA = try await Self.signed(Self.claims(), keys: signers, kid: "rsa-1")
        let viaEC = try await Self.signed(Self.claims(extra: ["sub": "erin"]), keys: signers, kid: "ec-1")
        #expect(try await authority.authenticate(viaRSA).subject == "alice")
        #expect(try await authority.authenticate(viaEC).subject == "erin")
        // A known key under an id the set does not hold, and another key under a known id.
        let unknownKid = try await Self.signed(Self.claims(), keys: signers, kid: "rsa-unknown")
        #expect(await Self.code(authority, unknownKid) == .unauthenticated)
        let wrongKey = try await JWTKeyCollection().add(ecdsa: other, kid: "ec-1").sign(RawClaims(members: Self.claims()))
        #expect(await Self.code(authority, wrongKey) == .unauthenticated)
        // HS256 when the gateway has no secret.
        #expect(await Self.code(authority, try await Self.signed(Self.claims())) == .unauthenticated)
        // The same checks as any token: expiry.
        let expired = try await Self.signed(Self.claims(expiresIn: -3600), keys: signers, kid: "ec-1")
        #expect(await Self.code(authority, expired) == .tokenExpired)
    }

    @Test("ES256 and RS256 through a PEM public key")
    func pemKeys() async throws {
        let ec = ES256PrivateKey()
        let ecAuthority = try await TokenAuthority(secret: nil, publicKeyPEM: ec.publicKey.pemRepresentation)
        let ecToken = try await JWTKeyCollection().add(ecdsa: ec).sign(RawClaims(members: Self.claims()))
        #expect(try await ecAuthority.authenticate(ecToken).subject == "alice")
        let forged = try await JWTKeyCollection().add(ecdsa: ES256PrivateKey()).sign(RawClaims(members: Self.claims()))
        #expect(await Self.code(ecAuthority, forged) == .unauthenticated)

        let rsa = try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        let rsaAuthority = try await TokenAuthority(secret: nil, publicKeyPEM: rsa.publicKey.pemRepresentation)
        let rsaToken = try await JWTKeyCollection().add(rsa: rsa, digestAlgorithm: .sha256).sign(
            RawClaims(members: Self.claims()))
        #expect(try await rsaAuthority.authenticate(rsaToken).subject == "alice")
        #expect(await Self.code(rsaAuthority, ecToken) == .unauthenticated)
    }

    @Test("over HTTP: a token for another audience is refused with 2001 and HTTP 401")
    func httpAudience() async throws {
        try await TestGateway.with(configure: { $0.jwt.audience = "kubegale" }) { gateway in
            let foreign = try await Self.signed(Self.claims(extra: ["aud": "grafana", "role": "admin"]))
            let (status, envelope) = try await gateway.http(.GET, "/clusters", token: foreign)
            #expect(status == 401)
            #expect(envelope["code"]?.intValue == Int64(ErrorCode.unauthenticated.rawValue))
            let (okStatus, _) = try await gateway.http(.GET, "/clusters", token: try await gateway.token())
            #expect(okStatus == 200)
        }
    }
}

/// Claims as a free JSON object, for tokens the gateway did not mint.
struct RawClaims: JWTPayload {
    var members: [String: JSONValue]

    init(members: [String: JSONValue]) { self.members = members }

    init(from decoder: any Decoder) throws {
        members = try decoder.singleValueContainer().decode([String: JSONValue].self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(members)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

extension Data {
    /// Base64url without padding, as JWKs carry numbers.
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
