import Foundation
import Synchronization

/// The current alerts of every cluster and their changes, for the `alerts` channels and
/// `GET /alerts`: the evaluator publishes, each channel subscribes to its cluster.
final class AlertFeed: Sendable {
    /// Changes a subscriber has not taken yet beyond which the oldest are dropped (the channel
    /// then sends a fresh snapshot).
    static let subscriberBuffer = 1000

    private struct State {
        var current: [Int64: [AlertStateMachine.Alert]] = [:]
        var subscribers: [Int64: [UUID: AsyncStream<Change>.Continuation]] = [:]
    }

    /// What a subscriber receives.
    enum Change: Sendable {
        case transition(AlertStateMachine.Transition)
        /// Changes were dropped: take the snapshot again.
        case overflow
    }

    private let state = Mutex(State())

    /// The pending and firing alerts of a cluster.
    func current(cluster: Int64) -> [AlertStateMachine.Alert] {
        state.withLock { $0.current[cluster] ?? [] }
    }

    /// Subscribes to a cluster's changes; returns the alerts at that moment too, so that no
    /// change falls between the snapshot and the first change.
    func subscribe(cluster: Int64) -> (id: UUID, current: [AlertStateMachine.Alert], changes: AsyncStream<Change>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(
            of: Change.self, bufferingPolicy: .bufferingNewest(Self.subscriberBuffer))
        let current = state.withLock { state in
            state.subscribers[cluster, default: [:]][id] = continuation
            return state.current[cluster] ?? []
        }
        return (id, current, stream)
    }

    func unsubscribe(cluster: Int64, id: UUID) {
        let continuation = state.withLock { $0.subscribers[cluster]?.removeValue(forKey: id) }
        continuation?.finish()
    }

    /// Publishes a cluster's transitions and its alerts after them.
    func publish(cluster: Int64, transitions: [AlertStateMachine.Transition], current: [AlertStateMachine.Alert]) {
        let subscribers = state.withLock { state in
            state.current[cluster] = current.isEmpty ? nil : current
            return Array((state.subscribers[cluster] ?? [:]).values)
        }
        for continuation in subscribers {
            for transition in transitions {
                if case .dropped = continuation.yield(.transition(transition)) {
                    continuation.yield(.overflow)
                }
            }
        }
    }

    /// Forgets a cluster (removed from the registry): its subscribers' streams end.
    func forget(cluster: Int64) {
        let subscribers = state.withLock { state in
            state.current[cluster] = nil
            return state.subscribers.removeValue(forKey: cluster) ?? [:]
        }
        for continuation in subscribers.values { continuation.finish() }
    }
}
