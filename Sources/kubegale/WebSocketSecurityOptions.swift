import ArgumentParser
import Foundation
import GaleGateway

/// Allowed origins and per-user quotas of the sockets, and where the start-up admin token goes.
/// Every option can also come from `KUBEGALE_<NAME>`.
struct WebSocketSecurityOptions: ParsableArguments {
    @Option(help: "Browser origin (scheme://host[:port]) allowed to open sockets; repeatable. Default: the gateway's own origin. [env: KUBEGALE_ALLOWED_ORIGINS, comma-separated]")
    var allowedOrigin: [String] = []

    @Option(help: "Sockets one user may have open (default 64). [env: KUBEGALE_MAX_SOCKETS_PER_USER]")
    var maxSocketsPerUser: Int?

    @Option(help: "Sockets open on the gateway in total (default 10000). [env: KUBEGALE_MAX_SOCKETS]")
    var maxSockets: Int?

    @Option(help: "Channels one user may have open over all its sessions (default 256). [env: KUBEGALE_MAX_CHANNELS_PER_USER]")
    var maxChannelsPerUser: Int?

    @Option(help: "Log streams (log channels, HTTP log follows) one user may have open (default 32). [env: KUBEGALE_MAX_LOG_STREAMS_PER_USER]")
    var maxLogStreamsPerUser: Int?

    @Option(help: "Exec sessions and terminals one user may have open (default 16). [env: KUBEGALE_MAX_EXECS_PER_USER]")
    var maxExecsPerUser: Int?

    @Option(help: "Bytes queued for one socket before its channels wait (default 4194304). [env: KUBEGALE_MAX_QUEUED_BYTES]")
    var maxQueuedBytes: Int?

    @Option(help: "Sessions kept without a socket for resume; the longest-detached go first (default 1000). [env: KUBEGALE_MAX_DETACHED_SESSIONS]")
    var maxDetachedSessions: Int?

    @Option(help: "Replay bytes all detached sessions may hold (default 268435456). [env: KUBEGALE_MAX_DETACHED_BYTES]")
    var maxDetachedBytes: Int?

    @Flag(help: "Print a 12-hour admin token at start-up (for a first sign-in). [env: KUBEGALE_PRINT_ADMIN_TOKEN=1]")
    var printAdminToken = false

    @Option(help: "Write a 12-hour admin token to this file (mode 0600) at start-up. [env: KUBEGALE_ADMIN_TOKEN_FILE]")
    var adminTokenFile: String?

    /// The gateway's settings from options and environment; every number at least 1.
    func configuration(_ environment: Environment) throws -> WebSocketSecurity {
        var security = WebSocketSecurity()
        let origins = allowedOrigin.isEmpty
            ? (environment["ALLOWED_ORIGINS"] ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            : allowedOrigin
        for origin in origins where origin.isEmpty || !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) {
            throw ValidationError("--allowed-origin takes scheme://host[:port] with http or https, not \"\(origin)\"")
        }
        security.allowedOrigins = origins
        func positive(_ value: Int?, _ name: String, _ option: String) throws -> Int? {
            guard let value = try value ?? environment.int(name) else { return nil }
            guard value >= 1 else { throw ValidationError("--\(option) must be at least 1") }
            return value
        }
        security.maxSocketsPerSubject =
            try positive(maxSocketsPerUser, "MAX_SOCKETS_PER_USER", "max-sockets-per-user") ?? security.maxSocketsPerSubject
        security.maxSockets = try positive(maxSockets, "MAX_SOCKETS", "max-sockets") ?? security.maxSockets
        security.maxChannelsPerSubject =
            try positive(maxChannelsPerUser, "MAX_CHANNELS_PER_USER", "max-channels-per-user")
            ?? security.maxChannelsPerSubject
        security.maxLogStreamsPerSubject =
            try positive(maxLogStreamsPerUser, "MAX_LOG_STREAMS_PER_USER", "max-log-streams-per-user")
            ?? security.maxLogStreamsPerSubject
        security.maxExecsPerSubject =
            try positive(maxExecsPerUser, "MAX_EXECS_PER_USER", "max-execs-per-user") ?? security.maxExecsPerSubject
        security.maxQueuedBytes =
            try positive(maxQueuedBytes, "MAX_QUEUED_BYTES", "max-queued-bytes") ?? security.maxQueuedBytes
        security.maxDetachedSessions =
            try positive(maxDetachedSessions, "MAX_DETACHED_SESSIONS", "max-detached-sessions")
            ?? security.maxDetachedSessions
        security.maxDetachedBytes =
            try positive(maxDetachedBytes, "MAX_DETACHED_BYTES", "max-detached-bytes") ?? security.maxDetachedBytes
        return security
    }

    /// Where the start-up admin token goes.
    func adminToken(_ environment: Environment) -> AdminTokenOutput {
        AdminTokenOutput(
            print: printAdminToken || environment.flag("PRINT_ADMIN_TOKEN"),
            file: (adminTokenFile ?? environment["ADMIN_TOKEN_FILE"]).map { URL(fileURLWithPath: $0) })
    }
}

/// Where `serve` puts the admin token it mints at start-up: nowhere unless asked, since a token
/// on standard output ends up in terminal scrollback and log collectors.
struct AdminTokenOutput: Sendable {
    var print: Bool
    var file: URL?

    var isRequested: Bool { print || file != nil }

    /// Writes `token` to ``file``, readable by its owner only (created 0600, never widened).
    func write(_ token: String) throws {
        guard let file else { return }
        let path = file.path
        try? FileManager.default.removeItem(atPath: path)
        guard FileManager.default.createFile(
            atPath: path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw ValidationError("cannot write the admin token to \(path)") }
    }
}
