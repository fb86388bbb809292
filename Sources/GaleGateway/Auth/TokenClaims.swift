public import Foundation
import GaleJSON
import JWTKit

/// The claims of a token as a JSON object, so that the claims naming the user and the groups can
/// be configured. Signatures are checked by jwt-kit; the claims by ``validate(_:now:)``.
struct TokenClaims: JWTPayload {
    var members: [String: JSONValue]

    init(members: [String: JSONValue]) {
        self.members = members
    }

    init(from decoder: any Decoder) throws {
        members = try decoder.singleValueContainer().decode([String: JSONValue].self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(members)
    }

    /// Nothing here: expiry and the other claims are checked by ``validate(_:now:)`` so that an
    /// expired token can be answered with its own code (2002).
    func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// Checks issuer, audience and times (with the leeway), then maps the claims onto a principal.
    /// Throws 2002 for an expired token and 2001 for every other refusal.
    func validate(_ configuration: TokenAuthority.Configuration, now: Date) throws(APIError) -> Principal {
        if let issuer = configuration.issuer, members["iss"]?.stringValue != issuer {
            throw .unauthenticated("invalid token: wrong or missing issuer")
        }
        if let audience = configuration.audience, !audiences.contains(audience) {
            throw .unauthenticated("invalid token: wrong or missing audience")
        }
        let leeway = TimeInterval(configuration.leeway.components.seconds)
        guard let expiration = date("exp") else { throw .unauthenticated("invalid token: no expiry") }
        guard now.timeIntervalSince(expiration) < leeway else { throw .tokenExpired() }
        if let notBefore = date("nbf"), notBefore.timeIntervalSince(now) > leeway {
            throw .unauthenticated("invalid token: not valid yet")
        }
        if let issuedAt = date("iat"), issuedAt.timeIntervalSince(now) > leeway {
            throw .unauthenticated("invalid token: issued in the future")
        }
        guard let user = members[configuration.userClaim]?.stringValue, !user.isEmpty else {
            throw .unauthenticated("invalid token: no user claim \"\(configuration.userClaim)\"")
        }
        guard let roleName = members["role"]?.stringValue, let role = Role(rawValue: roleName) else {
            throw .unauthenticated("invalid token: missing or unknown role")
        }
        return Principal(
            subject: user,
            role: role,
            clusters: .init(claim: try strings("clusters")),
            expiresAt: expiration,
            groups: try strings(configuration.groupsClaim)
        )
    }

    /// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
    private var audiences: [String] {
        switch members["aud"] {
        case .string(let one): [one]
        case .array(let many): many.compactMap(\.stringValue)
        default: []
        }
    }

    /// A NumericDate claim (seconds since the epoch, possibly fractional).
    private func date(_ name: String) -> Date? {
        members[name]?.doubleValue.map { Date(timeIntervalSince1970: $0) }
    }

    /// An optional claim holding an array of strings; any other shape refuses the token.
    private func strings(_ name: String) throws(APIError) -> [String] {
        guard let value = members[name], !value.isNull else { return [] }
        guard let array = value.arrayValue else { throw .unauthenticated("invalid token: \"\(name)\" is not a list") }
        var result: [String] = []
        for element in array {
            guard let text = element.stringValue else {
                throw .unauthenticated("invalid token: \"\(name)\" holds a non-string")
            }
            result.append(text)
        }
        return result
    }
}
