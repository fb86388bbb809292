import NIOCore
import NIOHTTP1

/// Answers a WebSocket upgrade request from a browser origin that may not open sockets with
/// HTTP 403 and closes the connection, before the upgrade handler sees the request (which would
/// otherwise answer any upgrade it declines with a bare 400). Other requests pass untouched.
///
/// Sits right after the HTTP/1 request decoder of each connection.
final class OriginGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The body of the refusal: the API's error envelope, code 1005.
    static let refusal = #"{"code":1005,"data":null,"msg":"this origin may not open sockets on the gateway"}"#

    private let policy: OriginPolicy
    /// Set once a request is refused: the rest of it is dropped, and the connection closes.
    private var refused = false

    init(policy: OriginPolicy) {
        self.policy = policy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if refused { return }
        guard case .head(let head) = unwrapInboundIn(data), Self.isUpgrade(head) else {
            context.fireChannelRead(data)
            return
        }
        guard policy.allows(origin: head.headers.first(name: "origin"), authority: head.headers.first(name: "host")) else {
            refused = true
            refuse(head, context: context)
            return
        }
        context.fireChannelRead(data)
        // The connection becomes a WebSocket: what follows is frames, not HTTP, so this handler
        // (which the upgrade does not know to remove) leaves the pipeline now.
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func refuse(_ request: HTTPRequestHead, context: ChannelHandlerContext) {
        let body = ByteBuffer(string: Self.refusal)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json; charset=utf-8")
        headers.add(name: "content-length", value: "\(body.readableBytes)")
        headers.add(name: "connection", value: "close")
        let head = HTTPResponseHead(version: request.version, status: .forbidden, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    private static func isUpgrade(_ head: HTTPRequestHead) -> Bool {
        head.headers[canonicalForm: "upgrade"].contains { $0.lowercased() == "websocket" }
    }
}
