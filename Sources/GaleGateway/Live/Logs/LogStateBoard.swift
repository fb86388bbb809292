import Synchronization

/// The upstream state of a whole subscription from the states of its followers: `unreachable`
/// when one is, else `reconnecting` when one is, else `connected` — with the reason of the
/// first follower in that state. Followers that ended no longer count.
struct LogStateBoard: Sendable {
    private var states: [Int: (state: UpstreamState, reason: String?)] = [:]
    /// The state last reported.
    private(set) var current = UpstreamState.connected

    /// Followers running.
    var activeCount: Int { states.count }

    /// A follower starts (`connected` until it says otherwise).
    mutating func start(_ follower: Int) {
        states[follower] = (.connected, nil)
    }

    /// Records a follower's state; returns the subscription's state when it changed.
    mutating func update(_ follower: Int, _ state: UpstreamState, reason: String?) -> (UpstreamState, String?)? {
        guard states[follower] != nil else { return nil }
        states[follower] = (state, reason)
        return aggregate()
    }

    /// A follower ended; returns the subscription's state when that changed it.
    mutating func end(_ follower: Int) -> (UpstreamState, String?)? {
        states[follower] = nil
        return aggregate()
    }

    private mutating func aggregate() -> (UpstreamState, String?)? {
        let ordered = states.sorted { $0.key < $1.key }.map(\.value)
        let worst =
            ordered.first { $0.state == .unreachable } ?? ordered.first { $0.state == .reconnecting } ?? (
                .connected, nil
            )
        guard worst.state != current else { return nil }
        current = worst.state
        return (worst.state, worst.reason)
    }
}

/// A ``LogStateBoard`` shared by the followers of a running subscription; reports changes to
/// the subscription's callback in the order they happen.
final class LogStateReporter: Sendable {
    private let board = Mutex(LogStateBoard())
    private let onState: @Sendable (UpstreamState, String?) -> Void

    init(onState: @escaping @Sendable (UpstreamState, String?) -> Void) {
        self.onState = onState
    }

    /// Followers running.
    var activeCount: Int { board.withLock { $0.activeCount } }

    func start(_ follower: Int) { board.withLock { $0.start(follower) } }

    func update(_ follower: Int, _ state: UpstreamState, reason: String?) {
        // The callback runs under the lock so that changes arrive in order; it only queues a frame.
        board.withLock { board in
            if let (state, reason) = board.update(follower, state, reason: reason) { onState(state, reason) }
        }
    }

    func end(_ follower: Int) {
        board.withLock { board in
            if let (state, reason) = board.end(follower) { onState(state, reason) }
        }
    }
}
