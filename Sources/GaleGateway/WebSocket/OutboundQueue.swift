import NIOCore
import Synchronization

/// What a session writes to its socket, in order.
enum OutboundMessage: Sendable {
    case text(String)
    /// An `event` frame (`text`) whose middle is shared with other subscribers: on a socket that
    /// takes shared compressed frames it goes out as `prefix`, the shared members compressed
    /// once, and `suffix` (see ``EncodedMembers``); elsewhere as `text`.
    case event(text: String, prefix: String, members: EncodedMembers, suffix: String)
    case binary(ByteBuffer)
    /// Close the socket with `code`; nothing queued after it is sent.
    case close(code: UInt16, reason: String)

    /// Payload bytes the message holds while queued.
    var byteCount: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .event(let text, _, _, _): text.utf8.count
        case .binary(let buffer): buffer.readableBytes
        case .close(_, let reason): reason.utf8.count
        }
    }
}

/// The bounded queue between a session's producers and the one task that writes its socket.
///
/// One writer keeps frames in order (compression with context takeover depends on it). The
/// bounds (messages and bytes) turn a client that stops reading into producers that wait in ``send(_:)`` instead of
/// memory that grows. ``enqueue(_:)`` never waits: it is for the few frames that must go out in
/// a fixed place (a replay after resume, control frames), so callers can order them under their
/// own lock — which is why this is a lock-protected class and not an actor.
final class OutboundQueue: Sendable {
    private struct State {
        var buffer: [OutboundMessage] = []
        var head = 0
        var finished = false
        var consumer: CheckedContinuation<OutboundMessage?, Never>?
        var producers: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var nextProducerID: UInt64 = 0
        /// Bytes of the messages queued.
        var bytes = 0

        var count: Int { buffer.count - head }

        mutating func push(_ message: OutboundMessage) {
            buffer.append(message)
            bytes += message.byteCount
        }

        mutating func pop() -> OutboundMessage {
            let message = buffer[head]
            bytes -= message.byteCount
            head += 1
            if head > 64, head * 2 > buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            return message
        }
    }

    /// Messages queued before ``send(_:)`` waits.
    let capacity: Int
    /// Bytes queued before ``send(_:)`` waits.
    let maxBytes: Int
    private let state = Mutex(State())

    init(capacity: Int, maxBytes: Int = .max) {
        precondition(capacity > 0 && maxBytes > 0)
        self.capacity = capacity
        self.maxBytes = maxBytes
    }

    /// Bytes waiting to be written.
    var bytes: Int { state.withLock { $0.bytes } }

    /// Producers waiting in ``send(_:)`` for room.
    var waitingProducers: Int { state.withLock { $0.producers.count } }

    private func hasRoom(_ state: State) -> Bool { state.count < capacity && state.bytes < maxBytes }

    /// Messages waiting to be written.
    var count: Int { state.withLock { $0.count } }

    /// Whether the socket is gone (nothing more will be written).
    var isFinished: Bool { state.withLock { $0.finished } }

    /// Queues `message` now, whatever the queue holds. Returns `false` once the queue is finished.
    @discardableResult
    func enqueue(_ message: OutboundMessage) -> Bool {
        let (accepted, consumer): (Bool, CheckedContinuation<OutboundMessage?, Never>?) = state.withLock { state in
            guard !state.finished else { return (false, nil) }
            if let consumer = state.consumer {
                state.consumer = nil
                return (true, consumer)
            }
            state.push(message)
            return (true, nil)
        }
        consumer?.resume(returning: message)
        return accepted
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
            let id: UInt64? = state.withLock { state in
                if state.finished || hasRoom(state) { return nil }
                state.nextProducerID += 1
                return state.nextProducerID
            }
            guard let id else { return !isFinished }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state in
                        if state.finished || hasRoom(state) || Task.isCancelled { return true }
                        state.producers.append((id, continuation))
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiting = state.withLock { state in
                    state.producers.firstIndex { $0.id == id }.map { state.producers.remove(at: $0).continuation }
                }
                waiting?.resume()
            }
        }
    }

    /// The next message, waiting for one; `nil` after ``finish()`` once the queue is drained.
    func next() async -> OutboundMessage? {
        enum Next {
            case message(OutboundMessage, CheckedContinuation<Void, Never>?)
            case end
            case wait
        }
        let taken: Next = state.withLock { state in
            if state.count > 0 {
                let message = state.pop()
                let producer = state.producers.isEmpty ? nil : state.producers.removeFirst().continuation
                return .message(message, producer)
            }
            return state.finished ? .end : .wait
        }
        switch taken {
        case .message(let message, let producer):
            producer?.resume()
            return message
        case .end:
            return nil
        case .wait:
            return await withCheckedContinuation { continuation in
                let ready: OutboundMessage?? = state.withLock { state in
                    if state.count > 0 { return .some(state.pop()) }
                    if state.finished { return .some(nil) }
                    state.consumer = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    /// Drops everything waiting, queues `message` alone and finishes the queue: for a client so
    /// far behind that only a close frame is still worth sending.
    func abort(with message: OutboundMessage) {
        let (producers, consumer) = state.withLock { state in
            state.buffer = [message]
            state.head = 0
            state.bytes = message.byteCount
            state.finished = true
            let producers = state.producers.map(\.continuation)
            state.producers.removeAll()
            let consumer = state.consumer
            state.consumer = nil
            if consumer != nil { (state.buffer, state.bytes) = ([], 0) }
            return (producers, consumer)
        }
        for producer in producers { producer.resume() }
        consumer?.resume(returning: message)
    }

    /// Stops the queue: waiting producers return `false`, the consumer drains what is queued.
    /// Ends the queue once the peer has closed the socket: data still queued is dropped (a
    /// WebSocket sends nothing after the close handshake), a close frame still queued is kept.
    func finishAfterPeerClose() {
        state.withLock { state in
            let closes = state.buffer[state.head...].filter { if case .close = $0 { true } else { false } }
            state.buffer = Array(closes)
            state.head = 0
            state.bytes = closes.reduce(0) { $0 + $1.byteCount }
        }
        finish()
    }

    func finish() {
        let (producers, consumer) = state.withLock { state in
            state.finished = true
            let producers = state.producers.map(\.continuation)
            state.producers.removeAll()
            let consumer = state.count == 0 ? state.consumer : nil
            if consumer != nil { state.consumer = nil }
            return (producers, consumer)
        }
        for producer in producers { producer.resume() }
        consumer?.resume(returning: nil)
    }
}
