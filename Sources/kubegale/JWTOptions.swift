import ArgumentParser
import Foundation
import GaleGateway

/// Token checks and claim mapping, shared by `serve` and `token`. Every option can also come
/// from `KUBEGALE_<NAME>`.
struct JWTOptions: ParsableArguments {
    @Option(help: "Required iss claim; the gateway's own tokens carry it. [env: KUBEGALE_JWT_ISSUER]")
    var jwtIssuer: String?

    @Option(help: "Required aud claim; the gateway's own tokens carry it. [env: KUBEGALE_JWT_AUDIENCE]")
    var jwtAudience: String?

    @Option(help: "Seconds of clock skew tolerated on exp, nbf and iat (default 30). [env: KUBEGALE_JWT_LEEWAY]")
    var jwtLeeway: Int?

    @Option(help: "Longest lifetime of a token the gateway mints, e.g. 12h (default 24h). [env: KUBEGALE_JWT_MAX_TTL]")
    var jwtMaxTtl: String?

    @Option(help: "Claim naming the user (default sub). [env: KUBEGALE_JWT_USER_CLAIM]")
    var jwtUserClaim: String?

    @Option(help: "Claim listing the user's groups, an array of strings (default groups). [env: KUBEGALE_JWT_GROUPS_CLAIM]")
    var jwtGroupsClaim: String?

    @Option(help: "JSON Web Key Set file: RS256/ES256 tokens whose kid names one of its keys are accepted. [env: KUBEGALE_JWT_JWKS_FILE]")
    var jwtJwksFile: String?

    /// Everything but the JWKS: what `kubegale token` needs to mint.
    func mintingConfiguration(_ environment: Environment) throws -> TokenAuthority.Configuration {
        var configuration = TokenAuthority.Configuration()
        configuration.issuer = jwtIssuer ?? environment["JWT_ISSUER"]
        configuration.audience = jwtAudience ?? environment["JWT_AUDIENCE"]
        if let seconds = try jwtLeeway ?? environment.int("JWT_LEEWAY") {
            guard seconds >= 0 else { throw ValidationError("--jwt-leeway must not be negative") }
            configuration.leeway = .seconds(seconds)
        }
        if let text = jwtMaxTtl ?? environment["JWT_MAX_TTL"] {
            configuration.maxTTL = try Token.parseDuration(text, option: "--jwt-max-ttl")
        }
        configuration.userClaim = jwtUserClaim ?? environment["JWT_USER_CLAIM"] ?? configuration.userClaim
        configuration.groupsClaim = jwtGroupsClaim ?? environment["JWT_GROUPS_CLAIM"] ?? configuration.groupsClaim
        return configuration
    }

    /// The configuration `serve` verifies tokens with, the JWKS file read.
    func configuration(_ environment: Environment) throws -> TokenAuthority.Configuration {
        var configuration = try mintingConfiguration(environment)
        if let path = jwtJwksFile ?? environment["JWT_JWKS_FILE"] {
            do {
                configuration.jwksJSON = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ValidationError("--jwt-jwks-file: cannot read \(path)")
            }
        }
        return configuration
    }
}
