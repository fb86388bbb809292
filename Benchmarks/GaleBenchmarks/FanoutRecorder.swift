import NIOCore
import Synchronization

/// What every client socket of a fan-out run has received, updated on the client event loops:
/// event counts (for pacing and the result), latencies of measured events, and how many sockets
/// are ready. The producer waits on it for the deliveries that let it write the next event.
final class FanoutRecorder: Sendable {
    private struct State {
        var received = 0
        var measured = 0
        var latencies: [UInt64] = []
        var payloadBytes = 0
        var wireBytes = 0
        var lastReceivedAt: UInt64 = 0
        var ready = 0
        var closed = 0
        var closeCodes: [UInt16: Int] = [:]
        var waiter: (target: Int, continuation: CheckedContinuation<Void, Never>)?
        var readyWaiter: (target: Int, continuation: CheckedContinuation<Void, Never>)?
    }

    /// Events with an index up to this one are warm-up: paced and counted, not measured.
    let warmup: UInt64
    private let state = Mutex(State())

    init(warmup: Int, expectedSamples: Int) {
        self.warmup = UInt64(warmup)
        state.withLock { $0.latencies.reserveCapacity(expectedSamples) }
    }

    /// Handles one message of a client socket; runs on its event loop.
    func record(_ message: LoadSocket.Message) {
        guard let index = Marker.number(after: Marker.index, in: message.data) else {
            if Marker.contains(Marker.synced, in: message.data) { markReady() }
            return
        }
        guard index > 0 else { return }  // the snapshot's ADDED of the initial object
        let sentAt = Marker.number(after: Marker.time, in: message.data) ?? message.receivedAt
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.received += 1
            if index > warmup {
                state.measured += 1
                state.latencies.append(message.receivedAt &- sentAt)
                state.payloadBytes += message.data.readableBytes
                state.wireBytes += message.wireBytes
                state.lastReceivedAt = max(state.lastReceivedAt, message.receivedAt)
            }
            guard let waiter = state.waiter, state.received >= waiter.target else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }

    func markReady() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.ready += 1
            guard let waiter = state.readyWaiter, state.ready >= waiter.target else { return nil }
            state.readyWaiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }

    func socketClosed(code: UInt16?) {
        state.withLock { state in
            state.closed += 1
            if let code { state.closeCodes[code, default: 0] += 1 }
        }
    }

    /// Waits until `target` events (all sockets together) have been received.
    func waitForReceived(_ target: Int) async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.received >= target { return true }
                state.waiter = (target, continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Waits until `target` events are received or `patience` passes without any progress;
    /// returns whether the target was reached. Polls: the end time comes from the receipts.
    func waitForReceived(_ target: Int, patience: Duration) async -> Bool {
        var last = received
        var lastProgress = ContinuousClock.now
        while true {
            let now = received
            if now >= target { return true }
            if now != last {
                last = now
                lastProgress = .now
            } else if ContinuousClock.now - lastProgress > patience {
                return false
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    func waitForReady(_ target: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if ready >= target { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return ready >= target
    }

    var received: Int { state.withLock { $0.received } }
    var ready: Int { state.withLock { $0.ready } }

    struct Snapshot {
        var measured: Int
        var latencies: [UInt64]
        var payloadBytes: Int
        var wireBytes: Int
        var lastReceivedAt: UInt64
        var closed: Int
        var closeCodes: [UInt16: Int]
    }

    func snapshot() -> Snapshot {
        state.withLock {
            Snapshot(
                measured: $0.measured, latencies: $0.latencies, payloadBytes: $0.payloadBytes, wireBytes: $0.wireBytes,
                lastReceivedAt: $0.lastReceivedAt, closed: $0.closed, closeCodes: $0.closeCodes)
        }
    }
}
