import Prometheus
import CompressNIO
import HummingbirdWSCompression
import NIOCore
import NIOWebSocket
import WSCore

/// permessage-deflate (RFC 7692) as swift-websocket implements it, wrapped to do two things
/// the library does not:
/// - a message that inflates past the configured limit closes the socket with 1009 (the
///   library reports 1011), and a corrupt DEFLATE stream with 1002;
/// - bytes before and after compression are counted for the compression-ratio metrics.
struct MeteredDeflateBuilder: WebSocketExtensionBuilder {
    static let name = "permessage-deflate"

    let base: any WebSocketExtensionBuilder
    let metrics: GatewayMetrics

    /// - Parameters:
    ///   - maxDecompressedSize: Largest payload one received frame may inflate to.
    ///   - metrics: Where byte counts go.
    static func factory(maxDecompressedSize: Int, metrics: GatewayMetrics) -> WebSocketExtensionFactory {
        let base = WebSocketExtensionFactory.perMessageDeflate(
            maxDecompressedFrameSize: maxDecompressedSize,
            minFrameSizeToCompress: 256
        )
        return WebSocketExtensionFactory { MeteredDeflateBuilder(base: base.build(), metrics: metrics) }
    }

    func clientRequestHeader() -> String { base.clientRequestHeader() }

    func serverReponseHeader(to request: WebSocketExtensionHTTPParameters) -> String? {
        base.serverReponseHeader(to: request)
    }

    func serverExtension(from request: WebSocketExtensionHTTPParameters) throws -> (any WebSocketExtension)? {
        try base.serverExtension(from: request).map { MeteredDeflate(base: $0, metrics: metrics) }
    }

    func clientExtension(from response: WebSocketExtensionHTTPParameters) throws -> (any WebSocketExtension)? {
        try base.clientExtension(from: response).map { MeteredDeflate(base: $0, metrics: metrics) }
    }
}

struct MeteredDeflate: WebSocketExtension {
    let base: any WebSocketExtension
    let metrics: GatewayMetrics

    var name: String { base.name }
    var reservedBits: WebSocketFrame.ReservedBits { base.reservedBits }

    func processReceivedFrame(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
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
        if frame.rsv1 || inflated.data.readableBytes != received {
            metrics.inflateInputBytes.increment(by: Int64(received))
            metrics.inflateOutputBytes.increment(by: Int64(inflated.data.readableBytes))
        }
        return inflated
    }

    func processFrameToSend(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
        let compressed = try await base.processFrameToSend(frame, context: context)
        if compressed.rsv1 || compressed.data.readableBytes != frame.data.readableBytes {
            metrics.deflateInputBytes.increment(by: Int64(frame.data.readableBytes))
            metrics.deflateOutputBytes.increment(by: Int64(compressed.data.readableBytes))
        }
        return compressed
    }

    func shutdown() async {
        await base.shutdown()
    }
}
