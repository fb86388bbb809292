import Foundation

/// Counts chunks handed to the reader but not yet read; the reading side waits while `window` are outstanding.
/// `@unchecked Sendable`: all state is guarded by the lock, and continuations are resumed outside it.
final class ExecFlowGate: @unchecked Sendable {
    private let lock = NSLock()
    private let window: Int
    private var outstanding = 0
    private var opened = false
    private var waiter: CheckedContinuation<Void, Never>?

    init(window: Int) {
        self.window = window
    }

    /// Called by the connection after handing over a chunk; suspends while the reader is `window` chunks behind.
    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = lock.withLock { () -> Bool in
                outstanding += 1
                if opened || outstanding < window { return true }
                waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Whether the connection side is suspended, waiting for the reader to catch up.
    var isHoldingBack: Bool { lock.withLock { waiter != nil } }

    /// Called by the reader for each chunk read.
    func release() {
        let waiting = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            outstanding -= 1
            guard outstanding < window, let waiting = waiter else { return nil }
            waiter = nil
            return waiting
        }
        waiting?.resume()
    }

    /// Stops limiting (the reader went away or the session is closing).
    func open() {
        let waiting = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            opened = true
            defer { waiter = nil }
            return waiter
        }
        waiting?.resume()
    }
}
