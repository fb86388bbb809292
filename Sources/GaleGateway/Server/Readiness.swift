import ServiceLifecycle
import Synchronization

/// Whether the gateway takes new work, as `/readyz` reports it.
///
/// On graceful shutdown ``Drain`` marks it not ready first and waits the drain delay, so a load
/// balancer polling `/readyz` takes the replica out of rotation; only then are the sockets closed
/// with 1001 (going away) and the listener stopped, and clients reconnect to another replica.
final class Readiness: Sendable {
    private let draining = Atomic<Bool>(false)

    init() {}

    /// `true` once graceful shutdown began.
    var isDraining: Bool { draining.load(ordering: .relaxed) }

    func beginDraining() { draining.store(true, ordering: .relaxed) }

    /// The first service to hear of graceful shutdown (it is last in the service group, which
    /// stops services in reverse order): turns `/readyz` false, then waits `delay` before the
    /// sessions and the server behind it are stopped.
    struct Drain: Service {
        let readiness: Readiness
        let delay: Duration

        func run() async throws {
            try? await gracefulShutdown()
            readiness.beginDraining()
            if delay > .zero { try? await Task.sleep(for: delay) }
        }
    }
}
