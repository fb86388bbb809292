import Foundation
import GaleProtocol
import Prometheus
import ServiceLifecycle
import Synchronization

/// Every open session and terminal. As a `Service` placed after the HTTP server in the service group, it
/// receives graceful shutdown first and closes each socket with 1001 (going away) before the
/// server stops accepting and tears connections down.
final class SessionRegistry: Service {
    private let sessions = Mutex<[ObjectIdentifier: GatewaySession]>([:])
    private let terminals = Mutex<[ObjectIdentifier: TerminalSocket]>([:])
    private let metrics: GatewayMetrics
    private let drainTimeout: Duration

    /// Live sessions kept for resume; swept here once their window has passed.
    let live: LiveSessions
    /// Origins and per-subject limits of the sockets.
    let security: WebSocketSecurity
    /// What each subject holds open.
    let quotas: SubjectQuotas
    /// Which browser origins may open sockets.
    let origins: OriginPolicy

    init(
        metrics: GatewayMetrics, security: WebSocketSecurity = .init(), live: LiveSessions,
        drainTimeout: Duration = .seconds(5)
    ) {
        self.metrics = metrics
        self.live = live
        self.security = security
        self.quotas = SubjectQuotas(limits: security)
        self.origins = OriginPolicy(allowedOrigins: security.allowedOrigins)
        self.drainTimeout = drainTimeout
    }

    /// Open sockets: multiplexed sessions and terminals.
    var count: Int { sessions.withLock { $0.count } + terminals.withLock { $0.count } }

    func register(_ session: GatewaySession) {
        sessions.withLock { $0[ObjectIdentifier(session)] = session }
        metrics.connections.increment()
    }

    func unregister(_ session: GatewaySession) {
        sessions.withLock { $0[ObjectIdentifier(session)] = nil }
        metrics.connections.decrement()
    }

    func register(_ terminal: TerminalSocket) {
        terminals.withLock { $0[ObjectIdentifier(terminal)] = terminal }
        metrics.connections.increment()
    }

    func unregister(_ terminal: TerminalSocket) {
        terminals.withLock { $0[ObjectIdentifier(terminal)] = nil }
        metrics.connections.decrement()
    }

    /// Closes (4002) the sockets and terminals whose token has expired by `now`; run every second.
    func closeExpired(now: Date) {
        let expired = sessions.withLock { $0.values.filter { $0.principal.expiresAt <= now } }
        for session in expired { session.closeIfTokenExpired(now: now) }
        let ended = terminals.withLock { $0.values.filter { $0.expiresAt <= now } }
        for terminal in ended { terminal.closeIfTokenExpired(now: now) }
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                self.live.sweep()
                self.closeExpired(now: Date())
            }
        }
        let open = sessions.withLock { Array($0.values) }
        for session in open { session.close(code: CloseCode.goingAway, reason: "server shutting down") }
        for terminal in terminals.withLock({ Array($0.values) }) { terminal.shutDown() }
        let deadline = ContinuousClock.now + drainTimeout
        while count > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        live.closeAll()
    }
}
