import NIOCore

/// Closes a connection as soon as the client closes its sending side.
///
/// Hummingbird channels allow half-closure, so a client that goes away (kubectl killed during `get -w`)
/// would otherwise leave an idle watch or log stream open until the next write. Kubernetes clients never
/// half-close deliberately, so treating it as a disconnect is safe and keeps watch counts exact.
final class InputClosedHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
