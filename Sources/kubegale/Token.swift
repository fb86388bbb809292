import ArgumentParser
import Foundation
import GaleGateway

/// `kubegale token`: prints a JWT signed with the secret `serve` would use, carrying the issuer and
/// audience `serve` requires and no longer-lived than `--jwt-max-ttl`.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a JWT for the gateway.")

    @Option(help: "Who the token names (the `sub` claim).")
    var subject: String

    @Option(help: "viewer, operator or admin.")
    var role: String

    @Option(help: "Cluster ids the token may reach, comma-separated, or * for all.")
    var clusters = "*"

    @Option(help: "Lifetime, e.g. 30m, 1h, 7d.")
    var ttl = "1h"

    @Option(help: "Directory holding the generated secret. [env: KUBEGALE_DATA_DIR]")
    var dataDir: String?

    @Option(help: "HS256 secret. [env: KUBEGALE_JWT_SECRET]")
    var jwtSecret: String?

    @Option(help: "Groups the token lists, comma-separated (in the groups claim).")
    var groups: String?

    @OptionGroup var jwt: JWTOptions

    func run() async throws {
        guard let role = Role(rawValue: role) else { throw ValidationError("role must be viewer, operator or admin") }
        let lifetime = try Self.parseDuration(ttl, option: "--ttl")
        let environment = Environment()
        let configuration = try jwt.mintingConfiguration(environment)
        let secret: String
        if let given = jwtSecret ?? environment["JWT_SECRET"] {
            secret = given
        } else {
            let directory = URL(fileURLWithPath: dataDir ?? environment["DATA_DIR"] ?? "data")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            secret = try Gateway.dataDirectorySecret(directory)
        }
        let ids = clusters.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let groupList = (groups ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let authority = try await TokenAuthority(secret: secret, configuration: configuration)
        do {
            print(
                try await authority.issue(
                    subject: subject, role: role, clusters: .init(claim: ids), ttl: lifetime, groups: groupList))
        } catch let error as TokenIssueError {
            throw ValidationError(error.description)
        }
    }

    /// `90s`, `30m`, `1h`, `7d` (or plain seconds).
    static func parseDuration(_ text: String, option: String) throws -> Duration {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var number = Substring(text)
        var multiplier: Int64 = 1
        if let last = text.last, let unit = units[last] {
            number = number.dropLast()
            multiplier = unit
        }
        guard let value = Int64(number), value > 0 else {
            throw ValidationError("\(option) must be a positive duration such as 30m, 1h or 7d")
        }
        return .seconds(value * multiplier)
    }
}
