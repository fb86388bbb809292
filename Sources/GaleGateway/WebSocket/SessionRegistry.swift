import Prometheus
import GaleProtocol
import ServiceLifecycle
import Synchronization

/// Every open session. As a `Service` placed after the HTTP server in the service group, it
/// receives graceful shutdown first and closes each socket with 1001 (going away) before the
/// server stops accepting and tears connections down.
final class SessionRegistry: Service {
    private let sessions = Mutex<[String: GatewaySession]>([:])
    private let metrics: GatewayMetrics
    private let drainTimeout: Duration

    init(metrics: GatewayMetrics, drainTimeout: Duration = .seconds(5)) {
        self.metrics = metrics
        self.drainTimeout = drainTimeout
    }

    var count: Int { sessions.withLock { $0.count } }

    func register(_ session: GatewaySession) {
        sessions.withLock { $0[session.id] = session }
        metrics.connections.increment()
    }

    func unregister(_ session: GatewaySession) {
        sessions.withLock { $0[session.id] = nil }
        metrics.connections.decrement()
    }

    func run() async throws {
        try? await gracefulShutdown()
        let open = sessions.withLock { Array($0.values) }
        await withTaskGroup(of: Void.self) { group in
            for session in open {
                group.addTask { await session.close(code: CloseCode.goingAway, reason: "server shutting down") }
            }
        }
        let deadline = ContinuousClock.now + drainTimeout
        while count > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
