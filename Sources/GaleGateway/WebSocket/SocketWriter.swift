import CompressNIO
import NIOCore
import NIOPosix
import NIOWebSocket
import Prometheus

/// Writes a session's ``OutboundQueue`` to its socket from the socket's event loop, in batches.
///
/// The handler sits in the channel pipeline right behind the WebSocket frame encoder, below
/// swift-websocket's per-message writer (an actor hop, an extension pass and a flush for every
/// frame). Woken by the queue, it takes what is queued, encodes each message as a frame, writes
/// them all and flushes once; it goes on while the channel is writable and picks up again when it
/// becomes writable, so a slow reader fills the bounded queue and its producers wait.
///
/// - permessage-deflate: the gateway negotiates `server_no_context_takeover`, so each message is
///   compressed on its own, with a compressor per event-loop thread (``MessageDeflater``) rather
///   than one per socket; an event's shared members come compressed once for every subscriber
///   (``EncodedMembers``). The library's extension still inflates what the client sends.
/// - Close: a queued close is handed to the library (`close`), which runs the closing handshake;
///   nothing queued after it is written. Frames the library writes (pongs, pings, its closes)
///   pass through here; once a close frame has gone out, no data frame follows it.
final class SocketWriter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Room kept in front of each payload so the encoder writes the frame header into the same
    /// buffer (a server frame's header is at most 10 bytes).
    static let headerRoom = 10

    private let queue: OutboundQueue
    /// The server's deflate window when permessage-deflate was negotiated.
    private let deflateWindow: Int?
    /// Whether event frames may go out as shared compressed frames.
    private let sharedDeflate: Bool
    private let metrics: GatewayMetrics
    /// Asks the WebSocket library to close with a code and reason (it writes the close frame).
    private let close: @Sendable (UInt16, String) -> Void
    private let done: EventLoopPromise<Void>
    private var context: ChannelHandlerContext?
    /// Set once a close is on its way (handed to the library, or written by it): no data follows.
    private var closing = false
    private var isDone = false

    /// - Parameters:
    ///   - deflateWindow: The negotiated server window (bits) of permessage-deflate; `nil` without it.
    ///   - sharedDeflate: Whether events may use the members compressed once for all sockets.
    ///   - close: Starts the library's closing handshake with a code and reason.
    init(
        queue: OutboundQueue, deflateWindow: Int?, sharedDeflate: Bool, metrics: GatewayMetrics,
        eventLoop: any EventLoop, close: @escaping @Sendable (UInt16, String) -> Void
    ) {
        self.queue = queue
        self.deflateWindow = deflateWindow
        self.sharedDeflate = sharedDeflate && deflateWindow != nil
        self.metrics = metrics
        self.close = close
        self.done = eventLoop.makePromise()
    }

    /// Completes when the writer has stopped: the queue ended, a close was handed to the library,
    /// or the channel went away.
    var finished: EventLoopFuture<Void> { done.futureResult }

    /// Installs a writer behind the frame encoder of `channel` (a WebSocket after its upgrade).
    static func install(
        on channel: any Channel, queue: OutboundQueue, deflateWindow: Int?, sharedDeflate: Bool,
        metrics: GatewayMetrics, close: @escaping @Sendable (UInt16, String) -> Void
    ) async throws -> EventLoopFuture<Void> {
        try await channel.eventLoop.submit {
            let writer = SocketWriter(
                queue: queue, deflateWindow: deflateWindow, sharedDeflate: sharedDeflate, metrics: metrics,
                eventLoop: channel.eventLoop, close: close)
            let pipeline = channel.pipeline.syncOperations
            let encoder = try pipeline.handler(type: WebSocketFrameEncoder.self)
            try pipeline.addHandler(writer, position: .after(encoder))
            return writer.finished
        }.get()
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let writer = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        queue.attachWriter {
            eventLoop.execute { writer.value.drain() }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { drain() }
        context.fireChannelWritabilityChanged()
    }

    /// Frames of the library (pings, pongs, close): passed on. A close ends the writing of data,
    /// and the writer's work: the handshake is the library's.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isClose = unwrapOutboundIn(data).opcode == .connectionClose
        context.write(data, promise: promise)
        if isClose {
            closing = true
            queue.finish()
            finish()
        }
    }

    private func stop() {
        closing = true
        queue.detachWriter()
        finish()
    }

    private func finish() {
        guard !isDone else { return }
        isDone = true
        done.succeed()
    }

    // MARK: Writing

    /// Writes batches while the channel is writable; each batch is flushed once.
    private func drain() {
        guard let context else { return }
        while !closing, context.channel.isWritable {
            switch queue.take(maxMessages: Self.maxItemsPerFrame, maxBytes: 256 * 1024) {
            case .idle:
                return
            case .end:
                finish()
                return
            case .batch(let messages):
                var index = messages.startIndex
                while index < messages.endIndex {
                    if case .close(let code, let reason) = messages[index] {
                        // The library writes the close frame (it passes through ``write``, which
                        // ends this writer) and runs the handshake.
                        closing = true
                        context.flush()
                        queue.finish()
                        close(code, reason)
                        return
                    }
                    let run = Self.eventRun(messages[index...])
                    if run > 1 {
                        writeEvents(messages[index..<index + run], context: context)
                    } else {
                        write(messages[index], context: context)
                    }
                    index += run
                }
                context.flush()
            }
        }
    }

    private func write(_ message: OutboundMessage, context: ChannelHandlerContext) {
        let allocator = context.channel.allocator
        switch message {
        case .text(let text):
            var payload = allocator.framePayload(capacity: text.utf8.count)
            payload.writeString(text)
            writeData(payload, opcode: .text, context: context)
        case .event(let channel, let seq, let members, _):
            let (prefix, suffix) = EncodedMembers.eventFrameParts(channel: channel, seq: seq)
            let size = prefix.utf8.count + members.text.utf8.count + suffix.utf8.count
            if sharedDeflate, size >= MeteredDeflateBuilder.minFrameSizeToCompress,
                let payload = members.payload(prefix: prefix, suffix: suffix, allocator: allocator)
            {
                metrics.deflateInputBytes.increment(by: Int64(size))
                metrics.deflateOutputBytes.increment(by: Int64(payload.readableBytes))
                emit(WebSocketFrame(fin: true, rsv1: true, opcode: .text, data: payload), plainBytes: size, context)
            } else {
                var payload = allocator.framePayload(capacity: size)
                payload.writeString(prefix)
                payload.writeString(members.text)
                payload.writeString(suffix)
                writeData(payload, opcode: .text, context: context)
            }
        case .binary(let buffer):
            writeData(buffer, opcode: .binary, context: context)
        case .close:
            preconditionFailure("closes are handed to the library by drain()")
        }
    }

    /// Items in one `events` frame at most.
    static let maxItemsPerFrame = 256
    /// Bytes of items in one `events` frame, about (the last item may go past).
    static let maxBytesPerFrame = 128 * 1024

    /// How many messages from the start of `messages` go out as one frame: the items of one
    /// channel that asked for batches, in `seq` order, within the frame bounds; 1 otherwise.
    static func eventRun(_ messages: ArraySlice<OutboundMessage>) -> Int {
        guard case .event(let channel, let first, let members, true)? = messages.first else { return 1 }
        var count = 1
        var bytes = members.text.utf8.count
        for message in messages.dropFirst() {
            guard count < maxItemsPerFrame, bytes < maxBytesPerFrame,
                case .event(channel, first + UInt64(count), let next, true) = message
            else { break }
            count += 1
            bytes += next.text.utf8.count
        }
        return count
    }

    /// Consecutive items of one channel as one `events` frame.
    private func writeEvents(_ run: ArraySlice<OutboundMessage>, context: ChannelHandlerContext) {
        var items: [EncodedMembers] = []
        items.reserveCapacity(run.count)
        var channel: UInt32 = 0
        var last: UInt64 = 0
        for case .event(let number, let seq, let members, _) in run {
            (channel, last) = (number, seq)
            items.append(members)
        }
        let head = #"{"channel":\#(channel),"seq":\#(last),"type":"events","items":["#
        var payload = context.channel.allocator.framePayload(
            capacity: head.utf8.count + items.reduce(0) { $0 + $1.text.utf8.count + 3 } + 2)
        payload.writeString(head)
        for (offset, members) in items.enumerated() {
            payload.writeString(offset == 0 ? "{" : ",{")
            payload.writeString(members.text)
            payload.writeString("}")
        }
        payload.writeString("]}")
        writeData(payload, opcode: .text, context: context)
    }

    /// A data frame, compressed when deflate was negotiated and the payload is worth it.
    private func writeData(_ payload: ByteBuffer, opcode: WebSocketOpcode, context: ChannelHandlerContext) {
        let size = payload.readableBytes
        if let window = deflateWindow, size >= MeteredDeflateBuilder.minFrameSizeToCompress,
            let compressed = MessageDeflater.forThisThread.compress(
                payload, windowBits: window, allocator: context.channel.allocator)
        {
            metrics.deflateInputBytes.increment(by: Int64(size))
            metrics.deflateOutputBytes.increment(by: Int64(compressed.readableBytes))
            emit(WebSocketFrame(fin: true, rsv1: true, opcode: opcode, data: compressed), plainBytes: size, context)
        } else {
            emit(WebSocketFrame(fin: true, opcode: opcode, data: payload), plainBytes: size, context)
        }
    }

    private func emit(_ frame: WebSocketFrame, plainBytes: Int, _ context: ChannelHandlerContext) {
        metrics.framesOut.increment()
        metrics.bytesOut.increment(by: Int64(plainBytes))
        context.write(wrapOutboundOut(frame), promise: nil)
    }
}

extension ByteBufferAllocator {
    /// An empty buffer for a frame payload of about `capacity` bytes, with room in front for the
    /// frame's header (see ``SocketWriter/headerRoom``).
    func framePayload(capacity: Int) -> ByteBuffer {
        var buffer = self.buffer(capacity: capacity + SocketWriter.headerRoom)
        buffer.moveWriterIndex(forwardBy: SocketWriter.headerRoom)
        buffer.moveReaderIndex(forwardBy: SocketWriter.headerRoom)
        return buffer
    }
}

/// Compresses whole messages for permessage-deflate without context takeover: every message is
/// a fresh DEFLATE stream, so one compressor per thread (and window size) serves every socket of
/// that thread's event loop, and a socket holds no deflate state of its own.
final class MessageDeflater {
    /// Each thread reads and writes only its own value (the variable itself is thread-safe).
    nonisolated(unsafe) private static let perThread = ThreadSpecificVariable<MessageDeflater>()

    /// The deflater of the calling thread (made on first use).
    static var forThisThread: MessageDeflater {
        if let deflater = perThread.currentValue { return deflater }
        let deflater = MessageDeflater()
        perThread.currentValue = deflater
        return deflater
    }

    private var compressors: [Int: ZlibCompressor] = [:]

    /// The payload of a compressed message carrying `message` (RFC 7692 §7.2.1: a sync-flushed
    /// DEFLATE stream without its trailing `00 00 FF FF`), with room for a frame header in front;
    /// `nil` when compression fails or would not make it smaller.
    func compress(_ message: ByteBuffer, windowBits: Int, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard let compressor = compressor(windowBits: windowBits) else { return nil }
        defer { try? compressor.reset() }
        var input = message
        var output = allocator.framePayload(capacity: compressor.maxSize(from: input))
        do {
            try compressor.deflate(from: &input, to: &output, flush: .sync)
        } catch {
            return nil
        }
        guard input.readableBytes == 0, output.readableBytes >= 4,
            output.readableBytes - 4 < message.readableBytes
        else { return nil }
        output.moveWriterIndex(to: output.writerIndex - 4)
        return output
    }

    private func compressor(windowBits: Int) -> ZlibCompressor? {
        if let compressor = compressors[windowBits] { return compressor }
        guard
            let compressor = try? ZlibCompressor(
                algorithm: .deflate,
                configuration: .init(
                    windowSize: Int32(windowBits), compressionLevel: 6,
                    memoryLevel: Int32(MeteredDeflateBuilder.memoryLevel)))
        else { return nil }
        compressors[windowBits] = compressor
        return compressor
    }
}
