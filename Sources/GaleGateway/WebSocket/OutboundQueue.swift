public import NIOCore

/// What a session writes to its socket, in order.
public enum OutboundMessage: Sendable {
    case text(String)
    case binary(ByteBuffer)
    /// Close the socket with `code`; nothing queued after it is sent.
    case close(code: UInt16, reason: String)
}

/// The bounded queue between a session's producers and the one task that writes its socket.
///
/// One writer keeps frames in order (compression with context takeover depends on it), and
/// the bound turns a client that stops reading into producers that wait, instead of memory
/// that grows.
actor OutboundQueue {
    private var buffer: [OutboundMessage] = []
    private var head = 0
    private let capacity: Int
    private var waitingProducers: [CheckedContinuation<Void, Never>] = []
    private var waitingConsumer: CheckedContinuation<OutboundMessage?, Never>?
    private var finished = false

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    private var count: Int { buffer.count - head }

    /// Queues `message`, waiting while the queue is full. Returns `false` once the queue is
    /// finished (the socket is gone), so producers can stop.
    @discardableResult
    func send(_ message: OutboundMessage) async -> Bool {
        while count >= capacity, !finished {
            await withCheckedContinuation { waitingProducers.append($0) }
        }
        guard !finished else { return false }
        if let consumer = waitingConsumer {
            waitingConsumer = nil
            consumer.resume(returning: message)
        } else {
            buffer.append(message)
        }
        return true
    }

    /// The next message, waiting for one; `nil` after ``finish()`` once the queue is drained.
    func next() async -> OutboundMessage? {
        if count > 0 {
            let message = buffer[head]
            head += 1
            if head > 64, head * 2 > buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            if !waitingProducers.isEmpty { waitingProducers.removeFirst().resume() }
            return message
        }
        guard !finished else { return nil }
        return await withCheckedContinuation { waitingConsumer = $0 }
    }

    /// Stops the queue: pending producers return `false`, the consumer drains what is queued.
    func finish() {
        finished = true
        for producer in waitingProducers { producer.resume() }
        waitingProducers.removeAll()
        waitingConsumer?.resume(returning: nil)
        waitingConsumer = nil
    }
}
