import AsyncHTTPClient
import Foundation
import GaleGateway
import GaleJSON
import KubeClient
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

extension LiveConfiguration {
    /// Quick reconnects and a short linger, so fault tests take seconds rather than minutes. The
    /// resume window is long: on a loaded machine a test may take more than a few seconds between
    /// leaving and resuming, and tests of the window's end set a short one of their own.
    static var forTests: LiveConfiguration {
        LiveConfiguration(
            resumeWindow: .seconds(60), watchLinger: .milliseconds(300),
            reconnectInitialDelay: .milliseconds(100), reconnectMaxDelay: .seconds(1),
            minimumMetricsInterval: .seconds(1))
    }
}

/// A real gateway on 127.0.0.1 with an ephemeral port and a temporary data directory, for one test.
struct TestGateway {
    static let secret = "test-secret-that-is-long-enough-for-hs256"

    let gateway: Gateway
    let port: Int
    let logs: LogCapture

    var httpBase: String { "http://127.0.0.1:\(port)/api/v1/kubernetes" }
    var webSocketURL: String { "ws://127.0.0.1:\(port)/ws" }

    /// Runs `body` against a fresh gateway, then shuts it down and removes its data.
    static func with<T: Sendable>(
        limits: WebSocketLimits = .init(),
        probeInterval: Duration = .seconds(10),
        live: LiveConfiguration = .forTests,
        configure: (inout GatewayConfiguration) -> Void = { _ in },
        _ body: (TestGateway) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubegale-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let logs = LogCapture()
        var logger = Logger(label: "test-gateway") { _ in logs.handler() }
        logger.logLevel = .debug
        var configuration = GatewayConfiguration(
            port: 0,
            dataDirectory: directory,
            jwtSecret: secret,
            webSocket: limits,
            probeInterval: probeInterval,
            live: live
        )
        configure(&configuration)
        let gateway = try await Gateway(configuration: configuration, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let group = ServiceGroup(
            configuration: .init(services: [ListeningService(gateway: gateway, ports: continuation)], logger: logger)
        )
        let server = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestFailure("gateway did not start") }
        let result: T
        do {
            result = try await body(TestGateway(gateway: gateway, port: port, logs: logs, group: group))
        } catch {
            await group.triggerGracefulShutdown()
            _ = await server.result
            throw error
        }
        await group.triggerGracefulShutdown()
        _ = await server.result
        return result
    }

    let group: ServiceGroup

    /// Accepts clusters served over plain HTTP (KubeSim without TLS, restarted on a fixed port).
    static func plainHTTPClusters(_ configuration: inout GatewayConfiguration) {
        configuration.kubeconfigPolicy = KubeconfigPolicy(allowsInsecureTransport: true)
    }

    /// Starts the gateway's graceful shutdown (what SIGTERM does).
    func shutdown() async {
        await group.triggerGracefulShutdown()
    }

    private struct ListeningService: Service {
        let gateway: Gateway
        let ports: AsyncStream<Int>.Continuation

        func run() async throws {
            try await gateway.run { port in ports.yield(port) }
        }
    }

    func token(
        _ role: Role = .admin,
        clusters: Principal.ClusterScope = .all,
        ttl: Duration = .seconds(600),
        now: Date = Date()
    ) async throws -> String {
        try await gateway.tokens.issue(subject: "tester-\(role)", role: role, clusters: clusters, ttl: ttl, now: now)
    }

    /// Registers a cluster through `POST /clusters`; returns its id.
    func register(_ name: String, kubeconfig: String, token: String) async throws -> Int64 {
        let (_, created) = try await http(
            .POST, "/clusters", token: token, body: ["name": .string(name), "kubeconfig": .string(kubeconfig)])
        guard let id = created["data"]?["id"]?.intValue else { throw TestFailure("cannot register \(name): \(created)") }
        return id
    }

    /// One HTTP call; returns the status and the parsed envelope.
    func http(
        _ method: HTTPMethod,
        _ path: String,
        token: String?,
        body: JSONValue? = nil
    ) async throws -> (status: Int, envelope: JSONValue) {
        var request = HTTPClientRequest(url: httpBase + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.jsonString))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), try JSONParser.parse(bytes.readableBytesView))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Collects every log line a gateway writes, so tests can assert on what is never logged; and
/// counts the loggers with metadata of their own that are still alive, so tests can see state
/// (a request context, a session) outlive its connection.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    private let liveLoggers = Atomic(0)

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    /// Logger copies alive that were given metadata of their own (a connection's request id, a
    /// session's id): each is state that some part of the gateway still holds.
    var loggersAlive: Int { liveLoggers.load(ordering: .relaxed) }

    func handler() -> some LogHandler { CapturingHandler(capture: self) }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    /// One logger's identity: a handler that gets metadata of its own gets a new one, which
    /// lives as long as the last copy of that logger.
    private final class Identity: Sendable {
        let capture: LogCapture
        init(_ capture: LogCapture) {
            self.capture = capture
            capture.liveLoggers.add(1, ordering: .relaxed)
        }
        deinit { capture.liveLoggers.subtract(1, ordering: .relaxed) }
    }

    private struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        private var identity: Identity?

        init(capture: LogCapture) { self.capture = capture }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set {
                metadata[key] = newValue
                identity = Identity(capture)
            }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            capture.append("\(event.level) \(event.message) \(merged)")
        }
    }
}

/// Plain GETs outside the API (probes, metrics).
enum Probe {
    static func get(_ port: Int, _ path: String, token: String?) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }
}
