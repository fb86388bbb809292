import Synchronization

/// Long-running responses (watch, log follow, exec) that must end when the listener stops.
final class LiveStreams: Sendable {
    private let handlers = Mutex<(next: Int, cancels: [Int: @Sendable () -> Void])>((0, [:]))

    /// Registers a cancel action; returns its id.
    func register(_ cancel: @escaping @Sendable () -> Void) -> Int {
        handlers.withLock { state in
            state.next += 1
            state.cancels[state.next] = cancel
            return state.next
        }
    }

    func unregister(_ id: Int) {
        _ = handlers.withLock { $0.cancels.removeValue(forKey: id) }
    }

    /// Ends every registered stream.
    func cancelAll() {
        let cancels = handlers.withLock { state in
            let all = Array(state.cancels.values)
            state.cancels.removeAll()
            return all
        }
        for cancel in cancels { cancel() }
    }

    var count: Int { handlers.withLock { $0.cancels.count } }
}
