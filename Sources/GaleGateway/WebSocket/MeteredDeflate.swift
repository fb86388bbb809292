import HTTPTypes
import Prometheus
import CompressNIO
import HummingbirdWSCompression
import NIOCore
import NIOWebSocket
import Synchronization
import WSCore

/// permessage-deflate (RFC 7692) as swift-websocket implements it, wrapped to do what the
/// library does not:
/// - zlib streams are created when the first message worth compressing is sent (or the first
///   compressed one received), not when the socket opens: an idle socket holds none;
/// - windows are 4 KiB (12 bits) with memory level 4, not zlib's 32 KiB and 8: about 24 KiB of
///   deflate state per socket instead of ~260 KiB, for events of one or two KiB that compress
///   nearly as well;
/// - the server never refers back to earlier messages (`server_no_context_takeover`, which RFC
///   7692 lets a server add to any offer), so one compressed event can go to every subscriber
///   (``EncodedMembers``); frames that arrive here compressed already pass through;
/// - a message that inflates past the configured limit closes the socket with 1009 (the
///   library reports 1011), and a corrupt DEFLATE stream with 1002; the limit holds for the
///   whole message, over all its frames, and is never above the message limit;
/// - bytes before and after compression are counted for the compression-ratio metrics.
struct MeteredDeflateBuilder: WebSocketExtensionBuilder {
    static let name = "permessage-deflate"
    /// Window of both directions, in bits (the client's only when it offers to limit it).
    static let windowBits = 12
    static let memoryLevel = 4
    /// Smaller messages are sent uncompressed.
    static let minFrameSizeToCompress = 256

    let base: any WebSocketExtensionBuilder
    let metrics: GatewayMetrics
    /// Largest message, over all its frames, after inflation.
    let maxMessageSize: Int

    /// - Parameters:
    ///   - limits: The frame and message limits: one received frame may inflate to
    ///     `maxDecompressedSize`, one message to `maxMessageSize`, whichever is smaller.
    ///   - metrics: Where byte counts go.
    static func factory(limits: WebSocketLimits, metrics: GatewayMetrics) -> WebSocketExtensionFactory {
        factory(
            maxDecompressedSize: min(limits.maxDecompressedSize, limits.maxMessageSize),
            maxMessageSize: limits.maxMessageSize, metrics: metrics)
    }

    /// - Parameters:
    ///   - maxDecompressedSize: Largest payload one received frame may inflate to.
    ///   - maxMessageSize: Largest message, over all its frames, after inflation.
    ///   - metrics: Where byte counts go.
    static func factory(maxDecompressedSize: Int, maxMessageSize: Int = .max, metrics: GatewayMetrics)
        -> WebSocketExtensionFactory
    {
        let base = baseFactory(maxDecompressedSize: maxDecompressedSize)
        return WebSocketExtensionFactory {
            MeteredDeflateBuilder(base: base.build(), metrics: metrics, maxMessageSize: maxMessageSize)
        }
    }

    /// swift-websocket's permessage-deflate with the gateway's settings.
    private static func baseFactory(maxDecompressedSize: Int) -> WebSocketExtensionFactory {
        WebSocketExtensionFactory.perMessageDeflate(
            clientMaxWindow: windowBits,
            serverMaxWindow: windowBits,
            serverNoContextTakeover: true,
            memoryLevel: memoryLevel,
            maxDecompressedFrameSize: maxDecompressedSize,
            minFrameSizeToCompress: minFrameSizeToCompress
        )
    }

    /// The window (bits) the server compresses with when an upgrade request with `headers` is
    /// answered, as the library's negotiation answers it; `nil` when the request offers no
    /// permessage-deflate. (The ``SocketWriter`` compresses what the gateway sends itself.)
    static func negotiatedServerWindow(requestHeaders headers: HTTPFields) -> Int? {
        let offers = WebSocketExtensionHTTPParameters.parseHeaders(headers)
        guard let answer = baseFactory(maxDecompressedSize: 1).build().serverResponseHeader(to: offers) else {
            return nil
        }
        let answered = WebSocketExtensionHTTPParameters.parseHeaders([.secWebSocketExtensions: answer])
        return answered.first?.parameters["server_max_window_bits"]?.integer ?? 15
    }

    func clientRequestHeader() -> String { base.clientRequestHeader() }

    func serverReponseHeader(to request: WebSocketExtensionHTTPParameters) -> String? {
        base.serverReponseHeader(to: request)
    }

    func serverExtension(from request: WebSocketExtensionHTTPParameters) throws -> (any WebSocketExtension)? {
        guard base.serverReponseHeader(to: request) != nil else { return nil }
        let base = self.base
        return MeteredDeflate(
            streams: LazyStreams { try base.serverExtension(from: request) }, metrics: metrics,
            maxMessageSize: maxMessageSize)
    }

    func clientExtension(from response: WebSocketExtensionHTTPParameters) throws -> (any WebSocketExtension)? {
        let base = self.base
        return MeteredDeflate(
            streams: LazyStreams { try base.clientExtension(from: response) }, metrics: metrics,
            maxMessageSize: maxMessageSize)
    }
}

/// The library's extension (and with it the zlib streams), made on first use.
final class LazyStreams: Sendable {
    private let make: @Sendable () throws -> (any WebSocketExtension)?
    private let made = Mutex<(any WebSocketExtension)??>(nil)

    init(_ make: @escaping @Sendable () throws -> (any WebSocketExtension)?) {
        self.make = make
    }

    /// The extension, made now if it was not yet.
    func get() throws -> (any WebSocketExtension)? {
        try made.withLock { made in
            if let existing = made { return existing }
            let created = try make()
            made = .some(created)
            return created
        }
    }

    /// The extension if it was made.
    var existing: (any WebSocketExtension)? { made.withLock { $0 ?? nil } }
}

struct MeteredDeflate: WebSocketExtension {
    let streams: LazyStreams
    let metrics: GatewayMetrics
    let maxMessageSize: Int
    /// Bytes the message being received has inflated to so far (frames of a socket arrive in order).
    private let inflatedSoFar = InflatedBytes()

    init(streams: LazyStreams, metrics: GatewayMetrics, maxMessageSize: Int = .max) {
        self.streams = streams
        self.metrics = metrics
        self.maxMessageSize = maxMessageSize
    }

    var name: String { MeteredDeflateBuilder.name }
    var reservedBits: WebSocketFrame.ReservedBits { .rsv1 }

    func processReceivedFrame(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
        // An uncompressed message is not part of the client's compression context: no stream needed.
        guard frame.rsv1 || frame.opcode == .continuation, let base = try streams.get() else { return frame }
        let received = frame.data.readableBytes
        let inflated: WebSocketFrame
        do {
            inflated = try await base.processReceivedFrame(frame, context: context)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            // swift-websocket maps NIOWebSocketError.invalidFrameLength to close code 1009.
            throw NIOWebSocketError.invalidFrameLength
        } catch is CompressNIOError {
            // A stream that does not inflate is a protocol violation: close code 1002.
            throw NIOWebSocketError.fragmentedControlFrame
        }
        let total = inflatedSoFar.add(inflated.data.readableBytes, ends: frame.fin)
        // A message whose frames each stay under the frame bound may still add up past the limit.
        if total > maxMessageSize { throw NIOWebSocketError.invalidFrameLength }
        if frame.rsv1 || inflated.data.readableBytes != received {
            metrics.inflateInputBytes.increment(by: Int64(received))
            metrics.inflateOutputBytes.increment(by: Int64(inflated.data.readableBytes))
        }
        return inflated
    }

    func processFrameToSend(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
        // A frame with RSV1 set is compressed already (a shared event frame); what the library
        // would send uncompressed needs no stream either.
        guard !frame.rsv1, frame.data.readableBytes >= MeteredDeflateBuilder.minFrameSizeToCompress,
            frame.opcode == .text || frame.opcode == .binary, let base = try streams.get()
        else { return frame }
        let compressed = try await base.processFrameToSend(frame, context: context)
        if compressed.rsv1 || compressed.data.readableBytes != frame.data.readableBytes {
            metrics.deflateInputBytes.increment(by: Int64(frame.data.readableBytes))
            metrics.deflateOutputBytes.increment(by: Int64(compressed.data.readableBytes))
        }
        return compressed
    }

    func shutdown() async {
        await streams.existing?.shutdown()
    }
}

/// The running size of the message a socket is receiving.
final class InflatedBytes: Sendable {
    private let total = Mutex(0)

    /// Adds a frame's bytes and returns the message's size so far; `ends`: the frame was its last.
    func add(_ bytes: Int, ends: Bool) -> Int {
        total.withLock { total in
            let sum = total + bytes
            total = ends ? 0 : sum
            return sum
        }
    }
}
