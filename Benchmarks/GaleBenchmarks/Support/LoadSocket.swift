import CompressNIO
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A cheap WebSocket client for load: a NIO pipeline with a handler that reports every message on
/// the socket's event loop, with no task hop. Thousands of them share one small event loop group.
/// It speaks permessage-deflate (inflating what the server compressed) when asked to offer it.
struct LoadSocket: Sendable {
    /// Where to connect and what to offer.
    struct Options: Sendable {
        var host = "127.0.0.1"
        var port: Int
        var path = "/ws"
        /// Sent as `Authorization: Bearer …`.
        var token: String?
        /// Offer permessage-deflate the way browsers do (`client_max_window_bits`, context takeover).
        var deflate = false
        /// Also ask the server not to keep its compression context between messages.
        var serverNoContextTakeover = false
        var subprotocol: String? = "kubegale.v1"
    }

    /// One message as received.
    struct Message: Sendable {
        var opcode: WebSocketOpcode
        /// The payload, inflated when it was compressed.
        var data: ByteBuffer
        /// Wire bytes of the payload (compressed size when it was compressed).
        var wireBytes: Int
        /// ``Monotonic/nanoseconds()`` when its last frame was read from the socket.
        var receivedAt: UInt64
    }

    /// Called on the socket's event loop for every data message.
    typealias OnMessage = @Sendable (Message) -> Void

    let channel: any Channel
    /// Whether the server accepted permessage-deflate.
    let compressed: Bool

    /// Connects and upgrades; the returned socket is open and reporting messages.
    static func connect(
        group: any EventLoopGroup, options: Options, onMessage: @escaping OnMessage,
        onClose: (@Sendable (UInt16?) -> Void)? = nil
    ) async throws -> LoadSocket {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(options.host):\(options.port)")
        if let token = options.token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let subprotocol = options.subprotocol { headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol) }
        if options.deflate {
            headers.add(
                name: "Sec-WebSocket-Extensions",
                value: "permessage-deflate; client_max_window_bits"
                    + (options.serverNoContextTakeover ? "; server_no_context_takeover" : ""))
        }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: options.path, headers: headers)
        // An address literal is connected to directly: a name lookup per socket costs a storm of
        // thousands of connects more CPU than the handshakes.
        let address = try? SocketAddress(ipAddress: options.host, port: options.port)
        let bootstrap = ClientBootstrap(group: group).channelOption(.socketOption(.tcp_nodelay), value: 1)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<EventLoopFuture<LoadSocket?>> = { channel in
            channel.eventLoop.makeCompletedFuture {
                let upgrader = NIOTypedWebSocketClientUpgrader<LoadSocket?>(
                    maxFrameSize: 64 << 20,
                    upgradePipelineHandler: { channel, response in
                        channel.eventLoop.makeCompletedFuture {
                            let deflate = DeflateParameters(response.headers["Sec-WebSocket-Extensions"])
                            let handler = try LoadSocketHandler(
                                deflate: deflate, onMessage: onMessage, onClose: onClose)
                            try channel.pipeline.syncOperations.addHandler(handler)
                            return LoadSocket(channel: channel, compressed: deflate != nil)
                        }
                    })
                let configuration = NIOTypedHTTPClientUpgradeConfiguration<LoadSocket?>(
                    upgradeRequestHead: head, upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        channel.close(promise: nil)
                        return channel.eventLoop.makeSucceededFuture(nil)
                    })
                var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                // The server's first frame (`hello`) may arrive with the 101 response.
                pipeline.leftOverBytesStrategy = .forwardBytes
                return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                    configuration: pipeline)
            }
        }
        let upgrade =
            if let address {
                try await bootstrap.connect(to: address, channelInitializer: initializer)
            } else {
                try await bootstrap.connect(host: options.host, port: options.port, channelInitializer: initializer)
            }
        guard let socket = try await upgrade.get() else { throw LoadSocketError("\(options.path): upgrade refused") }
        return socket
    }

    func send(text: String) {
        write(.text, ByteBuffer(string: text))
    }

    func send(binary: ByteBuffer) {
        write(.binary, binary)
    }

    /// Writes a frame without flushing; ``flush()`` sends what was written.
    func write(_ opcode: WebSocketOpcode, _ data: ByteBuffer, flush: Bool = true) {
        let frame = WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data)
        if flush {
            channel.writeAndFlush(frame, promise: nil)
        } else {
            channel.write(frame, promise: nil)
        }
    }

    func flush() { channel.flush() }

    /// Sends a close frame and closes the connection.
    func close() async {
        var data = ByteBuffer()
        data.write(webSocketErrorCode: .normalClosure)
        try? await channel.writeAndFlush(
            WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data))
        try? await channel.close()
    }
}

struct LoadSocketError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The permessage-deflate parameters a server accepted.
struct DeflateParameters: Equatable {
    var serverNoContextTakeover = false
    var serverMaxWindowBits: Int32 = 15

    /// Parses `Sec-WebSocket-Extensions` of the upgrade response; `nil` without permessage-deflate.
    init?(_ values: [String]) {
        guard
            let offer = values.flatMap({ $0.split(separator: ",") }).first(where: {
                $0.trimmingCharacters(in: " ").hasPrefix("permessage-deflate")
            })
        else { return nil }
        for parameter in offer.split(separator: ";").dropFirst() {
            let parts = parameter.split(separator: "=").map { $0.trimmingCharacters(in: " \"") }
            switch parts.first {
            case "server_no_context_takeover": serverNoContextTakeover = true
            case "server_max_window_bits": if parts.count > 1, let bits = Int32(parts[1]) { serverMaxWindowBits = bits }
            default: break
            }
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        String(self.drop(while: { set.contains($0) }).reversed().drop(while: { set.contains($0) }).reversed())
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String { self[...].trimmingCharacters(in: set) }
}

/// Reassembles and inflates messages, answers pings, reports messages and the close code.
final class LoadSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let inflater: ZlibDecompressor?
    private let resetAfterMessage: Bool
    private let onMessage: LoadSocket.OnMessage
    private let onClose: (@Sendable (UInt16?) -> Void)?
    private var fragments: ByteBuffer?
    private var fragmentOpcode = WebSocketOpcode.text
    private var fragmentCompressed = false
    private var closeCode: UInt16?
    private var closeReported = false

    init(
        deflate: DeflateParameters?, onMessage: @escaping LoadSocket.OnMessage,
        onClose: (@Sendable (UInt16?) -> Void)?
    ) throws {
        self.inflater = try deflate.map {
            try ZlibDecompressor(algorithm: .deflate, windowSize: $0.serverMaxWindowBits)
        }
        self.resetAfterMessage = deflate?.serverNoContextTakeover ?? false
        self.onMessage = onMessage
        self.onClose = onClose
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            if frame.fin {
                deliver(frame.opcode, frame.unmaskedData, compressed: frame.rsv1)
            } else {
                fragments = frame.unmaskedData
                fragmentOpcode = frame.opcode
                fragmentCompressed = frame.rsv1
            }
        case .continuation:
            guard var buffer = fragments else { return }
            var data = frame.unmaskedData
            buffer.writeBuffer(&data)
            if frame.fin {
                fragments = nil
                deliver(fragmentOpcode, buffer, compressed: fragmentCompressed)
            } else {
                fragments = buffer
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            var data = frame.unmaskedData
            closeCode = data.readInteger(as: UInt16.self)
            reportClose()
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        reportClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func reportClose() {
        guard !closeReported else { return }
        closeReported = true
        onClose?(closeCode)
    }

    private func deliver(_ opcode: WebSocketOpcode, _ payload: ByteBuffer, compressed: Bool) {
        let receivedAt = Monotonic.nanoseconds()
        let wireBytes = payload.readableBytes
        guard compressed, let inflater else {
            onMessage(.init(opcode: opcode, data: payload, wireBytes: wireBytes, receivedAt: receivedAt))
            return
        }
        var input = payload
        input.writeBytes([0, 0, 0xFF, 0xFF])
        var output = ByteBufferAllocator().buffer(capacity: max(4096, wireBytes * 12))
        do {
            while true {
                do {
                    try inflater.inflate(from: &input, to: &output)
                    if input.readableBytes == 0 { break }
                } catch let error as CompressNIOError where error == .bufferOverflow {
                    output.reserveCapacity(minimumWritableBytes: output.capacity)
                } catch let error as CompressNIOError where error == .inputBufferOverflow {
                    break
                }
            }
            if resetAfterMessage { try inflater.reset() }
        } catch {
            return
        }
        onMessage(.init(opcode: opcode, data: output, wireBytes: wireBytes, receivedAt: receivedAt))
    }
}
