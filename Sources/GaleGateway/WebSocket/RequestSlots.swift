import Synchronization

/// A bound on the requests a socket runs at once: the reader takes a slot before it starts one
/// and waits while none is free; each request gives its slot back when it ends.
final class RequestSlots: Sendable {
    private struct State {
        var free: Int
        var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        var lastID = 0
    }

    private let state: Mutex<State>

    init(_ count: Int) {
        state = Mutex(State(free: max(1, count)))
    }

    /// Takes a slot, waiting for one; `false` when the waiting task was cancelled.
    func acquire() async -> Bool {
        let id: Int? = state.withLock { state in
            if state.free > 0 {
                state.free -= 1
                return nil
            }
            state.lastID += 1
            return state.lastID
        }
        guard let id else { return true }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let parked = state.withLock { state in
                    if Task.isCancelled { return false }
                    if state.free > 0 {
                        state.free -= 1
                        continuation.resume(returning: true)
                        return true
                    }
                    state.waiters.append((id, continuation))
                    return true
                }
                if !parked { continuation.resume(returning: false) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0).continuation }
            }
            waiter?.resume(returning: false)
        }
    }

    /// Gives a slot back (to the first waiter, if any).
    func release() {
        let waiter: CheckedContinuation<Bool, Never>? = state.withLock { state in
            if state.waiters.isEmpty {
                state.free += 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        waiter?.resume(returning: true)
    }

    /// Slots free now.
    var free: Int { state.withLock { $0.free } }

    /// Tasks waiting in ``acquire()`` now.
    var waiting: Int { state.withLock { $0.waiters.count } }
}
