import Foundation
import Crypto
import NIOCore
import NIOWebSocket

/// Performs the WebSocket upgrade of an exec connection and, in the same event-loop turn as the
/// `101 Switching Protocols` arrives, turns the pipeline into a WebSocket one.
///
/// An apiserver may send the command's output, its exit status and a close right behind the
/// `101` — a short command's whole session can arrive in one TCP segment, followed by FIN. NIO's
/// general upgrade handler switches the pipeline in later turns, and when the connection's end
/// overtakes the switch the bytes behind the `101` are dropped. Here nothing is deferred: the
/// frame decoder and the async channel are added, the bytes after the response head are passed
/// to them, and only then can the next read (or the end of input) arrive.
///
/// A refused upgrade (any status but 101) completes with the status and up to 64 KiB of body,
/// so the apiserver's `Status` message reaches the caller.
final class ExecUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Outcome: Sendable {
        case upgraded(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, subprotocol: String)
        case refused(code: Int, body: [UInt8])
    }

    private enum State {
        case awaitingHead
        /// A refusal's body is being read: `remaining` bytes by Content-Length, to the last chunk
        /// when `chunked`, or else to the end of the connection.
        case readingRefusal(code: Int, remaining: Int?, chunked: Bool)
        case done
    }

    static let maxHeadBytes = 64 << 10
    static let maxBodyBytes = 64 << 10

    private let request: ByteBuffer
    private let key: String
    private let maxFrameSize: Int
    private let promise: EventLoopPromise<Outcome>
    private var state = State.awaitingHead
    private var received = ByteBuffer()
    private var body: [UInt8] = []

    /// The outcome of the upgrade.
    var outcome: EventLoopFuture<Outcome> { promise.futureResult }

    /// `head` is the request line and headers without the WebSocket ones, each line ending in CRLF.
    init(head: String, maxFrameSize: Int, promise: EventLoopPromise<Outcome>) {
        var generator = SystemRandomNumberGenerator()
        key = Data((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64EncodedString()
        request = ByteBuffer(
            string: head + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: \(key)\r\n\r\n")
        self.maxFrameSize = maxFrameSize
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { sendRequest(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendRequest(context: context)
        context.fireChannelActive()
    }

    private func sendRequest(context: ChannelHandlerContext) {
        context.writeAndFlush(NIOAny(request), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        switch state {
        case .awaitingHead:
            received.writeBuffer(&bytes)
            guard let end = received.readableBytesView.firstRange(of: Self.headEnd) else {
                if received.readableBytes > Self.maxHeadBytes { fail(context: context, "the upgrade response head is too large") }
                return
            }
            let headLength = end.upperBound - received.readerIndex
            let head = String(decoding: received.readSlice(length: headLength)!.readableBytesView, as: UTF8.self)
            handle(head: head, context: context)
        case .readingRefusal:
            collect(&bytes, context: context)
        case .done:
            context.fireChannelRead(NIOAny(bytes))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .awaitingHead: promise.fail(KubeError.unreachable("the connection closed during the exec upgrade"))
        case .readingRefusal(let code, _, let chunked):
            promise.succeed(.refused(code: code, body: chunked ? Self.dechunked(body) ?? body : body))
        case .done: break
        }
        state = .done
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .done = state {
            context.fireErrorCaught(error)
            return
        }
        state = .done
        promise.fail(error)
        context.close(promise: nil)
    }

    private static let headEnd = Array("\r\n\r\n".utf8)
    private static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    private func handle(head: String, context: ChannelHandlerContext) {
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: true)
        let statusParts = lines.first?.split(separator: " ", maxSplits: 2) ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let code = Int(statusParts[1]) else {
            fail(context: context, "the exec upgrade was answered with something other than HTTP")
            return
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        guard code == 101 else {
            let chunked = headers["transfer-encoding"]?.lowercased().contains("chunked") ?? false
            let length = chunked ? nil : headers["content-length"].flatMap { Int($0) }
            state = .readingRefusal(code: code, remaining: length, chunked: chunked)
            var rest = received
            received = ByteBuffer()
            collect(&rest, context: context)
            return
        }
        let expected = Data(Insecure.SHA1.hash(data: Data((key + Self.acceptGUID).utf8))).base64EncodedString()
        guard headers["upgrade"]?.lowercased() == "websocket", headers["sec-websocket-accept"] == expected else {
            fail(context: context, "the exec upgrade response is not a valid WebSocket handshake")
            return
        }
        do {
            let pipeline = context.pipeline.syncOperations
            try pipeline.addHandler(WebSocketFrameEncoder(), position: .after(self))
            try pipeline.addHandler(
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize)), position: .after(self))
            let channel = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                wrappingChannelSynchronously: context.channel)
            state = .done
            promise.succeed(.upgraded(channel, subprotocol: headers["sec-websocket-protocol"] ?? ""))
            let rest = received
            received = ByteBuffer()
            if rest.readableBytes > 0 { context.fireChannelRead(NIOAny(rest)) }
            pipeline.removeHandler(self, promise: nil)
        } catch {
            state = .done
            promise.fail(error)
            context.close(promise: nil)
        }
    }

    private func collect(_ bytes: inout ByteBuffer, context: ChannelHandlerContext) {
        guard case .readingRefusal(let code, let remaining, let chunked) = state else { return }
        let take = min(bytes.readableBytes, remaining ?? .max)
        if body.count < Self.maxBodyBytes {
            body += bytes.readableBytesView.prefix(min(take, Self.maxBodyBytes - body.count))
        }
        var complete = false
        if let remaining {
            state = .readingRefusal(code: code, remaining: remaining - take, chunked: false)
            complete = remaining - take == 0
        } else if chunked, let decoded = Self.dechunked(body) {
            body = decoded
            complete = true
        }
        if complete || body.count >= Self.maxBodyBytes {
            state = .done
            promise.succeed(.refused(code: code, body: body))
            context.close(promise: nil)
        }
    }

    /// The data of a complete chunked body (RFC 9112 §7.1, extensions and trailers ignored);
    /// `nil` while the last chunk has not arrived.
    static func dechunked(_ bytes: [UInt8]) -> [UInt8]? {
        var data: [UInt8] = []
        var index = 0
        while let lineEnd = bytes[index...].firstRange(of: [13, 10]) {
            let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) else { return nil }
            if size == 0 { return data }
            let start = lineEnd.upperBound
            guard start + size + 2 <= bytes.count else { return nil }
            data += bytes[start..<start + size]
            index = start + size + 2
        }
        return nil
    }

    private func fail(context: ChannelHandlerContext, _ message: String) {
        state = .done
        promise.fail(KubeError.decoding(message))
        context.close(promise: nil)
    }
}
