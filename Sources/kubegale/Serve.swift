import ArgumentParser
import Foundation
import GaleGateway
import KubeSim
import Logging
import ServiceLifecycle
import UnixSignals

/// `kubegale serve`: runs the gateway. Every option can also come from `KUBEGALE_<NAME>`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway.")

    @Option(help: "Address to listen on. [env: KUBEGALE_HOST]")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one. [env: KUBEGALE_PORT]")
    var port: Int?

    @Option(help: "Directory for the registry and generated secrets. [env: KUBEGALE_DATA_DIR]")
    var dataDir: String?

    @Option(help: "HS256 secret for JWTs (default: DATA_DIR/jwt-secret, generated). [env: KUBEGALE_JWT_SECRET]")
    var jwtSecret: String?

    @Option(help: "PEM file of an RS256 public key whose tokens are accepted. [env: KUBEGALE_JWT_PUBLIC_KEY_FILE]")
    var jwtPublicKeyFile: String?

    @Option(help: "Largest WebSocket frame payload, bytes. [env: KUBEGALE_MAX_FRAME_SIZE]")
    var maxFrameSize: Int?

    @Option(help: "Largest WebSocket message after decompression, bytes. [env: KUBEGALE_MAX_MESSAGE_SIZE]")
    var maxMessageSize: Int?

    @Option(help: "Largest payload one compressed frame may inflate to, bytes. [env: KUBEGALE_MAX_DECOMPRESSED_SIZE]")
    var maxDecompressedSize: Int?

    @Option(help: "Seconds between WebSocket pings. [env: KUBEGALE_PING_INTERVAL]")
    var pingInterval: Int?

    @Option(help: "Seconds without input or output before a terminal closes; 0 never. [env: KUBEGALE_TERMINAL_IDLE_TIMEOUT]")
    var terminalIdleTimeout: Int?

    @Option(help: "Seconds a session whose socket closed is kept for its client to resume it. [env: KUBEGALE_RESUME_WINDOW]")
    var resumeWindow: Int?

    @Option(help: "Channels one session may have open. [env: KUBEGALE_MAX_CHANNELS]")
    var maxChannels: Int?

    @Option(help: "Frames queued for one socket before its channels wait. [env: KUBEGALE_OUTBOUND_QUEUE]")
    var outboundQueue: Int?

    @Option(help: "Watch changes waiting for one channel before the client is closed with 4008. [env: KUBEGALE_MAX_PENDING_CHANGES]")
    var maxPendingChanges: Int?

    @Option(help: "Seconds an upstream watch without subscribers stays open. [env: KUBEGALE_WATCH_LINGER]")
    var watchLinger: Int?

    @Option(help: "Seconds an upstream watch may bring nothing before its apiserver is probed and, when it does not answer, reported unreachable. [env: KUBEGALE_WATCH_IDLE_TIMEOUT]")
    var watchIdleTimeout: Int?

    @Flag(help: "Answer the paged lists of the HTTP and request API with a LIST upstream each time instead of from the shared watches (for comparisons). [env: KUBEGALE_NO_LIST_CACHE=1]")
    var noListCache = false

    @Option(help: "Largest file upload into a container, in MiB. [env: KUBEGALE_MAX_UPLOAD_MIB]")
    var maxUploadMib: Int?

    @Option(help: "Largest file download from a container, in MiB. [env: KUBEGALE_MAX_DOWNLOAD_MIB]")
    var maxDownloadMib: Int?

    @Flag(help: "Do not offer permessage-deflate. [env: KUBEGALE_NO_COMPRESSION=1]")
    var noCompression = false

    @Flag(help: "Serve /ws/echo, an authenticated echo for conformance suites. [env: KUBEGALE_DIAGNOSTIC_ECHO=1]")
    var diagnosticEcho = false

    @Flag(help: "Do not start the KubeSim demo cluster. [env: KUBEGALE_NO_DEMO=1]")
    var noDemo = false

    @Option(help: "HTTP status of API errors: mapped (each code its own) or envelope (always 200). [env: KUBEGALE_ERROR_HTTP_STATUS]")
    var errorHttpStatus: String?

    @Option(help: "Serve the web console from this folder (laid out like clients/) instead of the built-in files. [env: KUBEGALE_CONSOLE_DIR]")
    var consoleDir: String?

    @Option(help: "Debian's node-xterm package, bundled for the console's terminal. [env: KUBEGALE_XTERM_DIR]")
    var xtermDir: String?

    @Flag(help: "Do not serve the web console at /. [env: KUBEGALE_NO_CONSOLE=1]")
    var noConsole = false

    @Option(help: "Seconds between giving free allocator memory back to the system; 0 never (default 30). [env: KUBEGALE_MEMORY_TRIM_INTERVAL]")
    var memoryTrimInterval: Int?

    @Option(help: "Seconds between two evaluations of the alert rules (default 10). [env: KUBEGALE_ALERT_INTERVAL]")
    var alertInterval: Int?

    @Flag(help: "Do not run automation tasks on their schedules and alerts here (manual runs still work); other replicas on the same database run them. [env: KUBEGALE_NO_AUTOMATION_SCHEDULER=1]")
    var noAutomationScheduler = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error. [env: KUBEGALE_LOG_LEVEL]")
    var logLevel: String?

    @OptionGroup(title: "Clusters")
    var upstream: UpstreamOptions

    @OptionGroup(title: "Tokens")
    var jwt: JWTOptions

    @OptionGroup(title: "Listener (TLS, timeouts)")
    var listener: ListenerOptions

    @OptionGroup(title: "Sockets (origins, quotas, admin token)")
    var sockets: WebSocketSecurityOptions

    @OptionGroup(title: "Database and replicas")
    var store: StoreOptions

    func run() async throws {
        let environment = Environment()
        var configuration = GatewayConfiguration()
        configuration.host = host ?? environment["HOST"] ?? configuration.host
        configuration.port = try port ?? environment.int("PORT") ?? configuration.port
        configuration.dataDirectory = URL(fileURLWithPath: dataDir ?? environment["DATA_DIR"] ?? "data")
        configuration.jwtSecret = jwtSecret ?? environment["JWT_SECRET"]
        if let path = jwtPublicKeyFile ?? environment["JWT_PUBLIC_KEY_FILE"] {
            configuration.jwtPublicKeyPEM = try String(contentsOfFile: path, encoding: .utf8)
        }
        configuration.sealKey = environment["SEAL_KEY"]
        var limits = configuration.webSocket
        limits.maxFrameSize = try maxFrameSize ?? environment.int("MAX_FRAME_SIZE") ?? limits.maxFrameSize
        limits.maxMessageSize = try maxMessageSize ?? environment.int("MAX_MESSAGE_SIZE") ?? limits.maxMessageSize
        limits.maxDecompressedSize =
            try maxDecompressedSize ?? environment.int("MAX_DECOMPRESSED_SIZE") ?? limits.maxMessageSize
        if let seconds = try pingInterval ?? environment.int("PING_INTERVAL") {
            limits.pingInterval = .seconds(seconds)
        }
        limits.compression = !(noCompression || environment.flag("NO_COMPRESSION"))
        configuration.webSocket = limits
        configuration.diagnosticEcho = diagnosticEcho || environment.flag("DIAGNOSTIC_ECHO")
        if let seconds = try memoryTrimInterval ?? environment.int("MEMORY_TRIM_INTERVAL") {
            guard seconds >= 0 else { throw ValidationError("--memory-trim-interval must not be negative") }
            configuration.memoryTrimInterval = seconds == 0 ? nil : .seconds(seconds)
        }
        if let seconds = try alertInterval ?? environment.int("ALERT_INTERVAL") {
            guard (1...3600).contains(seconds) else { throw ValidationError("--alert-interval must be 1 to 3600") }
            configuration.alerts.evaluationInterval = .seconds(seconds)
        }
        if noAutomationScheduler || environment.flag("NO_AUTOMATION_SCHEDULER") {
            configuration.automation.schedulerEnabled = false
        }
        try configureLive(&configuration, environment)
        configuration.jwt = try jwt.configuration(environment)
        configuration.listener = try listener.configuration(environment)
        configuration.webSocketSecurity = try sockets.configuration(environment)
        try upstream.apply(to: &configuration, environment)
        try store.apply(to: &configuration, environment)
        if let name = errorHttpStatus ?? environment["ERROR_HTTP_STATUS"] {
            guard let status = ErrorHTTPStatus(name) else {
                throw ValidationError("--error-http-status must be mapped or envelope, not \"\(name)\"")
            }
            configuration.errorHTTPStatus = status
        }
        configuration.console.enabled = !(noConsole || environment.flag("NO_CONSOLE"))
        if let path = consoleDir ?? environment["CONSOLE_DIR"] {
            configuration.console.directory = URL(fileURLWithPath: path, isDirectory: true)
        }
        if let path = xtermDir ?? environment["XTERM_DIR"] {
            configuration.console.xtermDirectory = URL(fileURLWithPath: path, isDirectory: true)
        }
        if let seconds = try terminalIdleTimeout ?? environment.int("TERMINAL_IDLE_TIMEOUT") {
            guard seconds >= 0 else { throw ValidationError("the terminal idle timeout must not be negative") }
            configuration.terminal.idleTimeout = seconds == 0 ? nil : .seconds(seconds)
        }

        let level = logLevel ?? environment["LOG_LEVEL"] ?? "info"
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw ValidationError("unknown log level \"\(level)\"")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "kubegale")
        let gateway = try await Gateway(configuration: configuration, logger: logger)
        var services: [any Service] = []
        let inCluster = upstream.inClusterConfig(environment)
        if let inCluster {
            let record = try await gateway.attachInClusterCluster(inCluster)
            logger.info(
                "in-cluster cluster attached",
                metadata: ["cluster.id": "\(record.id)", "cluster.name": "\(record.name)", "state": "\(record.status)"])
        }
        if inCluster == nil, !(noDemo || environment.flag("NO_DEMO")) {
            // The demo cluster is registered through its kubeconfig, exactly like a real one.
            let simulator = KubeSimServer(logger: Logger(label: "kubesim"))
            try await simulator.start()
            if try await gateway.attachDemoCluster(kubeconfig: try simulator.kubeconfig()) != nil {
                logger.info("demo cluster attached", metadata: ["url": "\(simulator.url ?? "")"])
                services.append(DemoCluster(simulator: simulator))
            } else {
                await simulator.stop()
            }
        }
        let announce = Announcement(gateway: gateway, adminToken: sockets.adminToken(environment))
        // Services stop in reverse order: the gateway first (closing its connections to the demo
        // cluster), then the simulator, which then has no open connection to wait for.
        services.append(ListeningGateway(gateway: gateway, onListening: announce.print))
        let group = ServiceGroup(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }
}

/// Keeps the demo simulator running until graceful shutdown, then stops it.
private struct DemoCluster: Service {
    let simulator: KubeSimServer

    func run() async throws {
        try? await gracefulShutdown()
        await simulator.stop()
    }
}

/// Runs the gateway as a service, reporting its port once it listens.
private struct ListeningGateway: Service {
    let gateway: Gateway
    let onListening: @Sendable (Int) async -> Void

    func run() async throws {
        try await gateway.run(onListening: onListening)
    }
}

/// What `serve` prints once it listens: where to connect and, when asked for
/// (`--print-admin-token`, `--admin-token-file`), a ready admin token so a newcomer can connect.
private struct Announcement: Sendable {
    let gateway: Gateway
    let adminToken: AdminTokenOutput

    @Sendable func print(port: Int) async {
        let host = gateway.configuration.host
        let (http, ws) = gateway.configuration.listener.tls == nil ? ("http", "ws") : ("https", "wss")
        var lines = [
            "KubeGale Realtime listening on \(http)://\(host):\(port)",
            "  HTTP API:  \(http)://\(host):\(port)/api/v1/kubernetes",
            "  WebSocket: \(ws)://\(host):\(port)/ws  (subprotocols: kubegale.v1, bearer.<token>)",
        ]
        if gateway.configuration.console.enabled {
            lines.insert("  Console:   \(http)://\(host):\(port)/  (sign in with a token)", at: 1)
        }
        if !adminToken.isRequested {
            lines.append("  Sign in:   kubegale token --role admin (or serve --print-admin-token / --admin-token-file PATH)")
        } else if let token = try? await gateway.tokens.issue(
            subject: "admin", role: .admin, clusters: .all, ttl: .seconds(12 * 3600))
        {
            if adminToken.print { lines.append("  Admin token (12h): \(token)") }
            do {
                try adminToken.write(token)
                if let file = adminToken.file { lines.append("  Admin token (12h) written to \(file.path)") }
            } catch {
                lines.append("  Admin token: \(error)")
            }
        }
        // Unbuffered, so scripts waiting for the "listening" line see it at once.
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}

extension Serve {
    /// Live-channel limits from options and environment, each at least 1 (a window of 0 turns
    /// resume off).
    fileprivate func configureLive(_ configuration: inout GatewayConfiguration, _ environment: Environment) throws {
        var live = configuration.live
        if let seconds = try resumeWindow ?? environment.int("RESUME_WINDOW") {
            guard seconds >= 0 else { throw ValidationError("the resume window must not be negative") }
            live.resumeWindow = .seconds(seconds)
        }
        if let seconds = try watchLinger ?? environment.int("WATCH_LINGER") {
            guard seconds >= 0 else { throw ValidationError("the watch linger must not be negative") }
            live.watchLinger = .seconds(seconds)
        }
        if let seconds = try watchIdleTimeout ?? environment.int("WATCH_IDLE_TIMEOUT") {
            guard seconds >= 1 else { throw ValidationError("--watch-idle-timeout must be at least 1") }
            live.watchIdleTimeout = .seconds(seconds)
        }
        for (value, name, apply) in [
            (try maxChannels ?? environment.int("MAX_CHANNELS"), "--max-channels", { (live: inout LiveConfiguration, n: Int) in live.maxChannelsPerSession = n }),
            (try maxUploadMib ?? environment.int("MAX_UPLOAD_MIB"), "--max-upload-mib", { (live: inout LiveConfiguration, n: Int) in
                live.files.maxUploadBytes = n << 20
            }),
            (try maxDownloadMib ?? environment.int("MAX_DOWNLOAD_MIB"), "--max-download-mib", { (live: inout LiveConfiguration, n: Int) in
                live.files.maxDownloadBytes = n << 20
            }),
            (try maxPendingChanges ?? environment.int("MAX_PENDING_CHANGES"), "--max-pending-changes", { (live: inout LiveConfiguration, n: Int) in
                live.maxPendingChanges = n
                live.conflateAfter = min(live.conflateAfter, max(1, n / 2))
            }),
        ] as [(Int?, String, (inout LiveConfiguration, Int) -> Void)] {
            guard let value else { continue }
            guard value >= 1 else { throw ValidationError("\(name) must be at least 1") }
            apply(&live, value)
        }
        if noListCache || environment.flag("NO_LIST_CACHE") { live.cacheLists = false }
        if let frames = try outboundQueue ?? environment.int("OUTBOUND_QUEUE") {
            guard frames >= 1 else { throw ValidationError("--outbound-queue must be at least 1") }
            configuration.webSocket.outboundQueueCapacity = frames
        }
        configuration.live = live
    }
}
