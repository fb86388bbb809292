import CompressNIO
import GaleJSON
import GaleProtocol
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Synchronization
import Testing

@testable import GaleGateway

/// The outbound queue's rules as a value (no locks, no tasks), and the ``SocketWriter`` that
/// drains it on a channel's event loop, on an `EmbeddedChannel` with the real frame encoder.
struct SocketWriterTests {
    typealias State = OutboundQueue.State<Int>

    static func texts(_ take: (TakeResult, [Int])) -> [String] {
        guard case .batch(let messages) = take.0 else { return [] }
        return messages.map { if case .text(let text) = $0 { text } else { "?" } }
    }

    @Test("The writer is woken once per idle spell, takes batches in order within their bounds, and sees the end")
    func queueStateMachine() {
        var state = State(capacity: 100, maxBytes: 1 << 20)
        #expect(state.enqueue(.text("a")) == .queued)  // no writer yet: waits for one
        let hasWork = state.attachWriter()
        #expect(hasWork)
        #expect(state.enqueue(.text("b")) == .queued)  // the writer is busy: no wake
        #expect(Self.texts(state.take(maxMessages: 64, maxBytes: 1 << 20)) == ["a", "b"])
        guard case (.idle, _) = state.take(maxMessages: 64, maxBytes: 1 << 20) else {
            Issue.record("an empty queue is idle")
            return
        }
        #expect(state.writer == .idle)
        #expect(state.enqueue(.text("c")) == .queuedWakeWriter)
        #expect(state.enqueue(.text("d")) == .queued)
        for text in ["e", "f", "g"] { _ = state.enqueue(.text(text)) }
        // Bounded by messages, then by bytes (at least one message, however large).
        #expect(Self.texts(state.take(maxMessages: 2, maxBytes: 1 << 20)) == ["c", "d"])
        #expect(Self.texts(state.take(maxMessages: 64, maxBytes: 1)) == ["e"])
        let (waiters, wake) = state.finish()
        #expect(waiters.isEmpty && !wake)  // busy: it takes again by itself
        #expect(state.enqueue(.text("late")) == .rejected)
        #expect(Self.texts(state.take(maxMessages: 64, maxBytes: 1 << 20)) == ["f", "g"])
        guard case (.end, _) = state.take(maxMessages: 64, maxBytes: 1 << 20) else {
            Issue.record("a finished, drained queue ends")
            return
        }
    }

    @Test("Producers wait past either bound and go on as the writer takes; an idle writer is woken to see the end")
    func queueWaitersAndEnds() {
        var state = State(capacity: 2, maxBytes: 1 << 20)
        let hasWork = state.attachWriter()
        #expect(!hasWork)  // nothing queued: idle
        _ = state.enqueue(.text("1"))
        _ = state.enqueue(.text("2"))
        #expect(!state.hasRoomOrFinished)
        let parked = [state.wait(id: 1, 101), state.wait(id: 2, 102), state.wait(id: 3, 103)]
        #expect(parked == [true, true, true])
        let cancelled = state.cancelWaiter(id: 2)
        #expect(cancelled == 102)
        // Taking one frees one producer; emptying the queue frees all.
        let first = state.take(maxMessages: 1, maxBytes: 1 << 20).1
        let rest = state.take(maxMessages: 64, maxBytes: 1 << 20).1
        #expect(first == [101] && rest == [103])

        var bytes = State(capacity: 100, maxBytes: 10)
        _ = bytes.enqueue(.text(String(repeating: "x", count: 10)))
        #expect(!bytes.hasRoomOrFinished)
        let parkedByBytes = bytes.wait(id: 1, 1)
        #expect(parkedByBytes)

        var idle = State(capacity: 10, maxBytes: 100)
        _ = idle.attachWriter()
        let (_, wakeIdle) = idle.finish()
        #expect(wakeIdle)  // the idle writer must be woken to take `.end`

        var closing = State(capacity: 10, maxBytes: 100)
        _ = closing.enqueue(.text("data"))
        _ = closing.enqueue(.close(code: 1000, reason: "bye"))
        _ = closing.enqueue(.text("more"))
        closing.dropAllButClose()
        #expect(closing.count == 1 && closing.bytes == 3)
        let (producers, _) = closing.abort(with: .close(code: 4008, reason: "slow"))
        #expect(producers.isEmpty && closing.finished && closing.count == 1)
    }

    // MARK: The writer on a channel

    /// A channel with the frame encoder, a flush counter below it and a writer behind it.
    final class Harness {
        let channel = EmbeddedChannel()
        let queue: OutboundQueue
        let flushes = FlushCounter()
        /// The close codes handed to the library.
        let closes = Shared<[UInt16]>([])
        let writer: SocketWriter

        init(deflateWindow: Int? = nil, sharedDeflate: Bool = false, capacity: Int = 100) throws {
            queue = OutboundQueue(capacity: capacity)
            let closes = self.closes
            writer = SocketWriter(
                queue: queue, deflateWindow: deflateWindow, sharedDeflate: sharedDeflate, metrics: GatewayMetrics(),
                eventLoop: channel.eventLoop, close: { code, _ in closes.set(closes.get() + [code]) })
            let encoder = WebSocketFrameEncoder()
            try channel.pipeline.syncOperations.addHandler(flushes)
            try channel.pipeline.syncOperations.addHandler(encoder)
            try channel.pipeline.syncOperations.addHandler(writer, position: .after(encoder))
        }

        /// Runs what the queue's wake scheduled, and returns the frames written since last time.
        func frames() throws -> [Frame] {
            channel.embeddedEventLoop.run()
            var bytes = ByteBuffer()
            while var buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&buffer) }
            return try Frame.parse(&bytes)
        }
    }

    final class FlushCounter: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = Any
        var count = 0
        func flush(context: ChannelHandlerContext) {
            count += 1
            context.flush()
        }
    }

    /// A server frame as it goes on the wire (unmasked).
    struct Frame: Equatable {
        var fin: Bool
        var rsv1: Bool
        var opcode: UInt8
        var payload: [UInt8]

        var text: String { String(decoding: payload, as: UTF8.self) }

        static func parse(_ bytes: inout ByteBuffer) throws -> [Frame] {
            var frames: [Frame] = []
            while bytes.readableBytes > 0 {
                guard let first = bytes.readInteger(as: UInt8.self), let second = bytes.readInteger(as: UInt8.self)
                else {
                    throw TestFailure("a frame cut short")
                }
                #expect(second & 0x80 == 0, "a server frame is not masked")
                var length = Int(second & 0x7F)
                if length == 126 { length = bytes.readInteger(as: UInt16.self).map(Int.init) ?? -1 }
                if length == 127 { length = bytes.readInteger(as: UInt64.self).map(Int.init) ?? -1 }
                guard length >= 0, let payload = bytes.readBytes(length: length) else {
                    throw TestFailure("a frame cut short")
                }
                frames.append(
                    Frame(fin: first & 0x80 != 0, rsv1: first & 0x40 != 0, opcode: first & 0x0F, payload: payload))
            }
            return frames
        }
    }

    @Test("What is queued goes out in order as whole frames, one flush per batch")
    func batchesInOrder() throws {
        let harness = try Harness()
        for text in ["one", "two", "three"] { harness.queue.enqueue(.text(text)) }
        let members = EncodedMembers(#""event":"ADDED","object":{"kind":"Pod"}"#)
        harness.queue.enqueue(.event(channel: 4, seq: 9, members: members, batch: false))
        harness.queue.enqueue(.binary(ByteBuffer(bytes: [0, 0, 0, 4, 1, 0x41])))
        let frames = try harness.frames()
        #expect(frames.map(\.opcode) == [1, 1, 1, 1, 2])
        #expect(frames.prefix(3).map(\.text) == ["one", "two", "three"])
        #expect(frames[3].text == members.eventFrame(channel: 4, seq: 9).text)
        #expect(frames[4].payload == [0, 0, 0, 4, 1, 0x41])
        #expect(frames.allSatisfy { $0.fin && !$0.rsv1 })
        #expect(harness.flushes.count == 1)

        // Idle again: the next message wakes it.
        harness.queue.enqueue(.text("four"))
        #expect(try harness.frames().map(\.text) == ["four"])
        #expect(harness.flushes.count == 2)
    }

    @Test("With deflate, large messages go out compressed (events from the shared members), small ones as they are")
    func deflate() throws {
        let harness = try Harness(deflateWindow: 12, sharedDeflate: true)
        let large = String(repeating: #"{"name":"web-0","phase":"Running"},"#, count: 40)
        let members = EncodedMembers(#""event":"MODIFIED","object":[\#(large){}]"#)
        harness.queue.enqueue(.text("small"))
        harness.queue.enqueue(.text(large))
        harness.queue.enqueue(.event(channel: 2, seq: 5, members: members, batch: false))
        let frames = try harness.frames()
        #expect(frames.map(\.rsv1) == [false, true, true])
        #expect(frames[0].text == "small")
        // Each message is a DEFLATE stream of its own (no context takeover): a fresh inflater each.
        for (frame, expected) in zip(frames.dropFirst(), [large, members.eventFrame(channel: 2, seq: 5).text]) {
            #expect(frame.payload.count * 3 < expected.utf8.count)
            var payload = ByteBuffer(bytes: frame.payload + [0, 0, 0xFF, 0xFF])
            let inflater = try ZlibDecompressor(algorithm: .deflate, windowSize: 15)
            #expect(String(buffer: try payload.decompressStream(with: inflater, maxSize: 1 << 20)) == expected)
        }

        // A client that asked for a smaller window gets its events compressed on their own.
        let narrow = try Harness(deflateWindow: 10, sharedDeflate: false)
        narrow.queue.enqueue(.event(channel: 2, seq: 5, members: members, batch: false))
        let frame = try #require(try narrow.frames().first)
        #expect(frame.rsv1)
        var payload = ByteBuffer(bytes: frame.payload + [0, 0, 0xFF, 0xFF])
        let inflater = try ZlibDecompressor(algorithm: .deflate, windowSize: 10)
        #expect(
            String(buffer: try payload.decompressStream(with: inflater, maxSize: 1 << 20))
                == members.eventFrame(channel: 2, seq: 5).text)
    }

    @Test("A queued close goes to the library after what precedes it; nothing after it is written")
    func queuedClose() throws {
        let harness = try Harness()
        harness.queue.enqueue(.text("before"))
        harness.queue.enqueue(.close(code: 4008, reason: "slow consumer"))
        harness.queue.enqueue(.text("after"))
        #expect(try harness.frames().map(\.text) == ["before"])
        #expect(harness.closes.get() == [4008])
        #expect(!harness.queue.enqueue(.text("later")))
        // The writer's work ends when the library's close frame passes it.
        let finished = Shared(false)
        harness.writer.finished.whenComplete { _ in finished.set(true) }
        #expect(!finished.get())
        var close = ByteBuffer()
        close.writeInteger(UInt16(4008))
        try harness.channel.writeOutbound(WebSocketFrame(fin: true, opcode: .connectionClose, data: close))
        #expect(finished.get())
        #expect(try harness.frames().map(\.opcode) == [8])
    }

    @Test("Once the library has sent a close (a peer's close answered, a ping timeout), no data frame follows")
    func libraryClose() throws {
        let harness = try Harness()
        var close = ByteBuffer()
        close.writeInteger(UInt16(1000))
        try harness.channel.writeOutbound(WebSocketFrame(fin: true, opcode: .connectionClose, data: close))
        #expect(!harness.queue.enqueue(.text("too late")))
        #expect(try harness.frames().map(\.opcode) == [8])
    }

    @Test("A channel that is not writable is not written; the writer resumes when it is")
    func backpressure() throws {
        let harness = try Harness(capacity: 2)
        harness.channel.isWritable = false
        harness.queue.enqueue(.text("1"))
        harness.queue.enqueue(.text("2"))
        #expect(try harness.frames().isEmpty)
        // Full, and not taken: producers would wait (their side is queueWaitersAndEnds').
        #expect(harness.queue.count == 2)
        harness.channel.isWritable = true
        harness.channel.pipeline.fireChannelWritabilityChanged()
        #expect(try harness.frames().map(\.text) == ["1", "2"])
        harness.queue.enqueue(.text("3"))
        #expect(try harness.frames().map(\.text) == ["3"])
    }

    @Test("When the channel goes away the queue is finished and the writer's work ends")
    func channelGone() throws {
        let harness = try Harness()
        let finished = Shared(false)
        harness.writer.finished.whenComplete { _ in finished.set(true) }
        _ = try harness.channel.finish()
        #expect(finished.get())
        #expect(!harness.queue.enqueue(.text("nobody reads this")))
    }

    @Test("Request slots: the reader waits for a free one, a release hands it over, a cancelled wait gives up")
    func requestSlots() async throws {
        let slots = RequestSlots(2)
        #expect(await slots.acquire())
        #expect(await slots.acquire())
        #expect(slots.free == 0)
        let third = Task { await slots.acquire() }
        #expect(try await eventually { slots.waiting == 1 })
        slots.release()  // handed to the waiter, not freed
        #expect(await third.value)
        #expect(slots.free == 0)
        let cancelled = Task { await slots.acquire() }
        #expect(try await eventually { slots.waiting == 1 })
        cancelled.cancel()
        #expect(await cancelled.value == false)
        slots.release()
        slots.release()
        #expect(slots.free == 2)
    }

    @Test("Items of a channel that asked for batches and are written together go out as one events frame")
    func eventBatches() throws {
        let harness = try Harness()
        func item(_ name: String) -> EncodedMembers { EncodedMembers(#""event":"LOG","line":"\#(name)""#) }
        for seq in 1...5 {
            harness.queue.enqueue(.event(channel: 3, seq: UInt64(seq), members: item("a\(seq)"), batch: true))
        }
        harness.queue.enqueue(.text(ServerFrame.synced(channel: 3, seq: 5, resourceVersion: nil).text))
        harness.queue.enqueue(.event(channel: 3, seq: 6, members: item("a6"), batch: true))
        harness.queue.enqueue(.event(channel: 4, seq: 1, members: item("b1"), batch: true))  // another channel
        harness.queue.enqueue(.event(channel: 4, seq: 3, members: item("b3"), batch: true))  // a gap in seq
        harness.queue.enqueue(.event(channel: 5, seq: 1, members: item("c1"), batch: false))
        harness.queue.enqueue(.event(channel: 5, seq: 2, members: item("c2"), batch: false))
        let frames = try harness.frames().map { try ServerFrame(text: $0.payload) }
        #expect(frames.map(\.type) == ["events", "synced", "event", "event", "event", "event", "event"])
        guard case .events(let batch) = frames[0] else {
            Issue.record("not an events frame: \(frames[0])")
            return
        }
        #expect(batch.map(\.seq) == [1, 2, 3, 4, 5] && batch.allSatisfy { $0.channel == 3 && $0.event == "LOG" })
        #expect(batch.map { $0.fields["line"]?.stringValue } == ["a1", "a2", "a3", "a4", "a5"])
        #expect(harness.flushes.count == 1)

        // Bounded: at most maxItemsPerFrame items per frame.
        let many = try Harness(capacity: 1000)
        for seq in 1...300 { many.queue.enqueue(.event(channel: 1, seq: UInt64(seq), members: item("x"), batch: true)) }
        let counts = try many.frames().map { frame -> Int in
            guard case .events(let items) = try ServerFrame(text: frame.payload) else { return 1 }
            return items.count
        }
        #expect(
            counts.reduce(0, +) == 300 && counts.allSatisfy { $0 <= SocketWriter.maxItemsPerFrame } && counts.count == 2
        )
    }
}
