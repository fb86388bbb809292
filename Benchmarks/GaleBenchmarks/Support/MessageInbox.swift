import Synchronization

/// The messages of one load socket, for benchmarks that read them in order from a task.
final class MessageInbox: Sendable {
    private struct State {
        var items: [LoadSocket.Message] = []
        var head = 0
        var closed = false
        var waiter: CheckedContinuation<LoadSocket.Message?, Never>?
    }

    private let state = Mutex(State())

    /// Adds a message (from the socket's event loop).
    func put(_ message: LoadSocket.Message) {
        let waiter: CheckedContinuation<LoadSocket.Message?, Never>? = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.items.append(message)
            return nil
        }
        waiter?.resume(returning: message)
    }

    func close() {
        let waiter = state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next message; `nil` when the socket closed or the task was cancelled.
    func next() async -> LoadSocket.Message? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<LoadSocket.Message?, Never>) in
                let ready: LoadSocket.Message?? = state.withLock { state in
                    if state.head < state.items.count {
                        let message = state.items[state.head]
                        state.head += 1
                        if state.head == state.items.count {
                            state.items.removeAll(keepingCapacity: true)
                            state.head = 0
                        }
                        return .some(message)
                    }
                    if state.closed || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// The next message, or `nil` after `timeout`.
    func next(timeout: Duration) async -> LoadSocket.Message? {
        await withTaskGroup(of: LoadSocket.Message?.self) { group in
            group.addTask { await self.next() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            var result = await group.next() ?? nil
            group.cancelAll()
            for await other in group where result == nil { result = other }
            return result
        }
    }

    /// Skips messages until `predicate` holds for one; returns it (`nil` on timeout).
    func first(within timeout: Duration, where predicate: (LoadSocket.Message) -> Bool) async -> LoadSocket.Message? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let message = await next(timeout: deadline - .now) else { return nil }
            if predicate(message) { return message }
        }
        return nil
    }
}
