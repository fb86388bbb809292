import Foundation
import GaleJSON
import GaleProtocol
import KubeClient
import KubeSim
import Logging
import NIOHTTP1
import Synchronization
import Testing

@testable import GaleGateway

/// A gateway with a KubeSim cluster whose containers write `linesPerSecond` log lines, and log
/// streams on that gateway with quick reconnects, for live log tests.
struct LogFixture {
    let cluster: SimCluster
    let streams: LogStreams
    /// A viewer allowed every cluster.
    let viewer = Principal(
        subject: "log-viewer", role: .viewer, clusters: .all, expiresAt: Date().addingTimeInterval(3600))

    /// Log streams with quick reconnects and pod discovery, for tests.
    static var quick: LogStreams.Configuration {
        var configuration = LogStreams.Configuration()
        configuration.backoff = Backoff(initial: .milliseconds(50), maximum: .milliseconds(400))
        configuration.discoveryInterval = .milliseconds(200)
        configuration.startPollInterval = .milliseconds(100)
        return configuration
    }

    static func with<T: Sendable>(
        linesPerSecond: Double = 20,
        podStartDelay: Duration = .milliseconds(50),
        jobRunDuration: Duration = .seconds(2),
        configuration: LogStreams.Configuration = quick,
        _ body: (LogFixture) async throws -> T
    ) async throws -> T {
        let simulator = KubeSimServer(
            configuration: .init(logLinesPerSecond: linesPerSecond, podStartDelay: podStartDelay, jobRunDuration: jobRunDuration))
        try await simulator.start()
        do {
            let result = try await TestGateway.with { gateway in
                let admin = try await gateway.token()
                let (_, created) = try await gateway.http(
                    .POST, "/clusters", token: admin,
                    body: ["name": "sim", "kubeconfig": .string(try simulator.kubeconfig())])
                guard let id = created["data"]?["id"]?.intValue else {
                    throw TestFailure("cannot register KubeSim: \(created)")
                }
                let streams = LogStreams(
                    registry: gateway.gateway.registry, connections: gateway.gateway.connections,
                    configuration: configuration)
                let cluster = SimCluster(gateway: gateway, simulator: simulator, id: id, admin: admin)
                return try await body(LogFixture(cluster: cluster, streams: streams))
            }
            await simulator.stop()
            return result
        } catch {
            await simulator.stop()
            throw error
        }
    }

    /// Opens a logs subscription as the viewer.
    func subscribe(_ options: [String: GaleJSON.JSONValue]) async throws(APIError) -> LogSubscription {
        try await streams.subscribe(
            cluster: String(cluster.id), options: options, principal: viewer, logger: Logger(label: "test"))
    }

    /// Runs `subscription` and reads its lines until `enough` holds (or the log ends); fails
    /// after `timeout`.
    func read(
        _ subscription: LogSubscription,
        timeout: Duration = .seconds(30),
        onState: @escaping @Sendable (UpstreamState, String?) -> Void = { _, _ in },
        until enough: @escaping @Sendable ([LogLine]) -> Bool
    ) async throws -> [LogLine] {
        try await within(timeout) {
            try await subscription.run(onState: onState) { lines in
                var read: [LogLine] = []
                for try await line in lines {
                    read.append(line)
                    if enough(read) { break }
                }
                return read
            }
        }
    }

    /// The whole log of a container now, as the apiserver has it.
    func fullLog(pod: String, container: String? = nil) async throws -> [LogLine] {
        let client = try await cluster.gateway.gateway.connections.upstreamClient(cluster: cluster.id)
        var lines: [LogLine] = []
        let stream = try await client.logs(
            namespace: "demo", pod: pod, options: LogOptions(container: container, timestamps: true))
        for try await text in stream.lines() {
            if let line = LogLine(timestamped: Array(text.utf8), pod: pod, container: container ?? "") {
                lines.append(line)
            }
        }
        return lines
    }

    /// Creates a pod in `demo` through the gateway and (unless told not to) waits until it runs.
    func createPod(
        _ name: String, labels: [String: String], containers: [String], defaultContainer: String? = nil,
        waitUntilRunning: Bool = true
    ) async throws {
        var metadata: GaleJSON.JSONValue = [
            "name": .string(name), "namespace": "demo", "labels": .object(labels.mapValues { .string($0) }),
        ]
        if let defaultContainer {
            metadata["annotations"] = ["kubectl.kubernetes.io/default-container": .string(defaultContainer)]
        }
        let manifest: GaleJSON.JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": metadata,
            "spec": ["containers": .array(containers.map { ["name": .string($0), "image": "busybox:1.36"] })],
        ]
        let (_, created) = try await cluster.send(.POST, "/pods", ["namespace": "demo", "content": manifest])
        guard created["code"]?.intValue == 0 else { throw TestFailure("cannot create pod \(name): \(created)") }
        guard waitUntilRunning else { return }
        guard try await eventually({ try await cluster.podPhase(name) == "Running" }) else {
            throw TestFailure("pod \(name) does not run")
        }
    }

    /// Whether `lines` appear in `log` one after the other: none missing in between, none twice.
    static func isContiguous(_ lines: [LogLine], in log: [LogLine]) -> Bool {
        guard let first = lines.first else { return true }
        guard let start = log.firstIndex(where: { $0.timeText == first.timeText && $0.text == first.text }),
            start + lines.count <= log.count
        else { return false }
        return zip(lines, log[start...]).allSatisfy { $0.timeText == $1.timeText && $0.text == $1.text }
    }
}

/// Runs `body`, failing with ``TestFailure`` when it takes longer than `timeout`.
func within<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TestFailure("no result within \(timeout)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// The upstream states a subscription reported, in order.
final class StateLog: Sendable {
    private let states = Mutex<[(UpstreamState, String?)]>([])

    var all: [(UpstreamState, String?)] { states.withLock { $0 } }

    func append(_ state: UpstreamState, _ reason: String?) { states.withLock { $0.append((state, reason)) } }
}
