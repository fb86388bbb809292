import NIOCore
import Synchronization

/// What a session writes to its socket, in order.
enum OutboundMessage: Sendable {
    case text(String)
    /// Item `seq` of `channel` as an `event` frame whose members are shared with the other
    /// subscribers of the same change: the writer builds the frame around them — on a socket that
    /// takes shared compressed frames, from the members compressed once for all (see
    /// ``EncodedMembers``). With `batch` (the subscription asked for it), consecutive items of the
    /// channel that are written together go out as one `events` frame.
    case event(channel: UInt32, seq: UInt64, members: EncodedMembers, batch: Bool)
    case binary(ByteBuffer)
    /// Close the socket with `code`; nothing queued after it is sent.
    case close(code: UInt16, reason: String)

    /// Payload bytes the message holds while queued.
    var byteCount: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .event(let channel, let seq, let members, _):
            EncodedMembers.eventFrameSize(channel: channel, seq: seq, members: members)
        case .binary(let buffer): buffer.readableBytes
        case .close(_, let reason): reason.utf8.count
        }
    }

    var isClose: Bool {
        if case .close = self { true } else { false }
    }
}

/// The bounded queue between a session's producers and the writer of its socket.
///
/// The writer (``SocketWriter``, on the socket's event loop) takes what is queued in batches and
/// writes each batch with one flush; one writer keeps frames in order. The bounds (messages and
/// bytes) turn a client that stops reading into producers that wait in ``send(_:)`` instead of
/// memory that grows. ``enqueue(_:)`` never waits: it is for the few frames that must go out in
/// a fixed place (a replay after resume, control frames), so callers can order them under their
/// own lock — which is why this is a lock-protected class and not an actor.
///
/// The rules live in ``State``, a value whose mutating methods say what to do next (wake the
/// writer, resume producers); this class only keeps it under a lock and carries the actions out.
final class OutboundQueue: Sendable {
    typealias Waiter = CheckedContinuation<Void, Never>

    /// Messages queued before ``send(_:)`` waits.
    var capacity: Int { state.withLock { $0.capacity } }
    /// Bytes queued before ``send(_:)`` waits.
    var maxBytes: Int { state.withLock { $0.maxBytes } }
    private let state: Mutex<State<Waiter>>
    /// How the writer is woken when messages arrive while it is idle (set by ``attachWriter(_:)``).
    private let wake = Mutex<Wake?>(nil)

    /// The writer's wake-up, in a struct rather than stored in the mutex as a bare closure: a
    /// function value kept as a generic's `Value` is re-wrapped in a pair of reabstraction thunks
    /// by every `withLock` that touches it, so a closure read on each wake grew a chain of thunks
    /// as long as the socket's traffic, and every call walked all of it (found by profiling a
    /// logs channel: two thirds of the gateway's CPU in thunks thousands of frames deep).
    private struct Wake: Sendable {
        let call: @Sendable () -> Void
    }

    init(capacity: Int, maxBytes: Int = .max) {
        state = Mutex(State(capacity: capacity, maxBytes: maxBytes))
    }

    /// Bytes waiting to be written.
    var bytes: Int { state.withLock { $0.bytes } }

    /// Producers waiting in ``send(_:)`` for room.
    var waitingProducers: Int { state.withLock { $0.waitingCount } }

    /// Messages waiting to be written.
    var count: Int { state.withLock { $0.count } }

    /// Whether the socket is gone (nothing more will be accepted).
    var isFinished: Bool { state.withLock { $0.finished } }

    /// Queues `message` now, whatever the queue holds. Returns `false` once the queue is finished.
    @discardableResult
    func enqueue(_ message: OutboundMessage) -> Bool {
        let outcome = state.withLock { $0.enqueue(message) }
        if outcome == .queuedWakeWriter { wakeWriter() }
        return outcome != .rejected
    }

    /// Queues `message`, first waiting while the queue is full. Returns `false` once the queue
    /// is finished (the socket is gone) or the waiting task is cancelled, so producers can stop.
    @discardableResult
    func send(_ message: OutboundMessage) async -> Bool {
        guard await waitForRoom() else { return false }
        return enqueue(message)
    }

    /// Waits until the queue has room. Returns `false` when it is finished or the task is cancelled.
    func waitForRoom() async -> Bool {
        while true {
            if Task.isCancelled { return false }
            let id: UInt64? = state.withLock { $0.hasRoomOrFinished ? nil : $0.nextWaiterID() }
            guard let id else { return !isFinished }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state in
                        Task.isCancelled || !state.wait(id: id, continuation)
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                state.withLock { $0.cancelWaiter(id: id) }?.resume()
            }
        }
    }

    // MARK: The writer's side

    /// Makes `wake` the way to reach the writer, which from now on takes messages with
    /// ``take(maxMessages:maxBytes:)``. It is called (from any thread) whenever a message arrives
    /// while the writer is idle, and once now if messages are already waiting.
    func attachWriter(_ wake: @escaping @Sendable () -> Void) {
        self.wake.withLock { $0 = Wake(call: wake) }
        if state.withLock({ $0.attachWriter() }) { wake() }
    }

    /// Forgets the writer (its socket is gone): the queue is finished.
    func detachWriter() {
        wake.withLock { $0 = nil }
        finish()
    }

    /// The writer's next batch: up to `maxMessages` messages and about `maxBytes` bytes (at least
    /// one message). `.idle` means nothing is queued; the writer is woken when something is.
    /// `.end` means the queue is finished and drained.
    func take(maxMessages: Int = 64, maxBytes: Int = 256 * 1024) -> TakeResult {
        let (take, waiters) = state.withLock { $0.take(maxMessages: maxMessages, maxBytes: maxBytes) }
        for waiter in waiters { waiter.resume() }
        if case .end = take { wake.withLock { $0 = nil } }
        return take
    }

    private func wakeWriter() {
        wake.withLock { $0 }?.call()
    }

    // MARK: Ending

    /// Drops everything waiting, queues `message` alone and finishes the queue: for a client so
    /// far behind that only a close frame is still worth sending.
    func abort(with message: OutboundMessage) {
        let (waiters, wakeWriter) = state.withLock { $0.abort(with: message) }
        for waiter in waiters { waiter.resume() }
        if wakeWriter { self.wakeWriter() }
    }

    /// Ends the queue once the peer has closed the socket: data still queued is dropped (a
    /// WebSocket sends nothing after the close handshake), a close frame still queued is kept.
    func finishAfterPeerClose() {
        let (waiters, wakeWriter) = state.withLock { state in
            state.dropAllButClose()
            return state.finish()
        }
        for waiter in waiters { waiter.resume() }
        if wakeWriter { self.wakeWriter() }
    }

    /// Stops the queue: waiting producers return `false`, the writer drains what is queued.
    func finish() {
        let (waiters, wakeWriter) = state.withLock { $0.finish() }
        for waiter in waiters { waiter.resume() }
        if wakeWriter { self.wakeWriter() }
    }
}

/// What the writer gets from ``OutboundQueue/take(maxMessages:maxBytes:)``.
enum TakeResult: Sendable {
    case batch([OutboundMessage])
    case idle
    case end
}

extension OutboundQueue {
    /// The queue's rules, without locks or tasks: messages in order within the bounds, the
    /// producers waiting for room (`Waiter` is whatever resumes them), and whether the writer is
    /// idle (must be woken) or busy (will take again by itself).
    struct State<Waiter> {
        enum Enqueued: Equatable {
            case rejected
            case queued
            /// Queued, and the writer is idle: wake it.
            case queuedWakeWriter
        }

        enum Writer: Equatable {
            /// No writer yet: messages wait for one.
            case none
            /// Waiting to be woken.
            case idle
            /// Will call ``take(maxMessages:maxBytes:)`` again without being woken.
            case busy
        }

        let capacity: Int
        let maxBytes: Int
        private var buffer: [OutboundMessage] = []
        private var head = 0
        private(set) var bytes = 0
        private(set) var finished = false
        private(set) var writer = Writer.none
        private var waiters: [(id: UInt64, waiter: Waiter)] = []
        private var lastWaiterID: UInt64 = 0

        init(capacity: Int, maxBytes: Int) {
            precondition(capacity > 0 && maxBytes > 0)
            self.capacity = capacity
            self.maxBytes = maxBytes
        }

        var count: Int { buffer.count - head }
        var waitingCount: Int { waiters.count }
        var hasRoomOrFinished: Bool { finished || (count < capacity && bytes < maxBytes) }

        mutating func enqueue(_ message: OutboundMessage) -> Enqueued {
            guard !finished else { return .rejected }
            buffer.append(message)
            bytes += message.byteCount
            guard writer == .idle else { return .queued }
            writer = .busy
            return .queuedWakeWriter
        }

        /// A writer arrived; returns whether it has messages to take at once.
        mutating func attachWriter() -> Bool {
            writer = count > 0 || finished ? .busy : .idle
            return writer == .busy
        }

        mutating func nextWaiterID() -> UInt64 {
            lastWaiterID += 1
            return lastWaiterID
        }

        /// Parks a producer until there is room; `false` when there is room already (go on).
        mutating func wait(id: UInt64, _ waiter: Waiter) -> Bool {
            guard !hasRoomOrFinished else { return false }
            waiters.append((id, waiter))
            return true
        }

        /// The waiter of a cancelled producer, if it is still parked.
        mutating func cancelWaiter(id: UInt64) -> Waiter? {
            waiters.firstIndex { $0.id == id }.map { waiters.remove(at: $0).waiter }
        }

        /// The writer's next batch, and the producers to resume for the room it makes.
        mutating func take(maxMessages: Int, maxBytes: Int) -> (TakeResult, [Waiter]) {
            guard count > 0 else {
                if finished { return (.end, []) }
                writer = .idle
                return (.idle, [])
            }
            var batch: [OutboundMessage] = []
            var batchBytes = 0
            while head < buffer.count, batch.count < maxMessages, batch.isEmpty || batchBytes < maxBytes {
                let message = buffer[head]
                head += 1
                batchBytes += message.byteCount
                batch.append(message)
            }
            bytes -= batchBytes
            if head == buffer.count {
                buffer.removeAll(keepingCapacity: buffer.capacity <= 64)
                head = 0
            } else if head > 64, head * 2 > buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            writer = .busy
            // One producer per message taken (each checks for room again when it runs); all of
            // them once the queue is empty, so none is left waiting on a writer gone idle.
            let resumeCount = count == 0 ? waiters.count : min(waiters.count, batch.count)
            let resumed = waiters.prefix(resumeCount).map(\.waiter)
            waiters.removeFirst(resumeCount)
            return (.batch(batch), resumed)
        }

        /// Finishes the queue: nothing more is accepted, the producers go. Returns them, and
        /// whether the idle writer must be woken to see the end.
        mutating func finish() -> ([Waiter], Bool) {
            finished = true
            let resumed = waiters.map(\.waiter)
            waiters.removeAll()
            let wake = writer == .idle
            if wake { writer = .busy }
            return (resumed, wake)
        }

        /// Replaces everything queued with `message` and finishes.
        mutating func abort(with message: OutboundMessage) -> ([Waiter], Bool) {
            buffer = [message]
            head = 0
            bytes = message.byteCount
            return finish()
        }

        /// Drops everything queued but close frames.
        mutating func dropAllButClose() {
            buffer = buffer[head...].filter(\.isClose)
            head = 0
            bytes = buffer.reduce(0) { $0 + $1.byteCount }
        }
    }
}
