import NIOCore
import NIOHTTP1

/// Sits between the HTTP decoder and the upgrade handler of an exec connection. When the server
/// refuses the upgrade it collects the status code and (bounded) body, so the apiserver's `Status`
/// message reaches the caller; on a successful upgrade it is removed with the HTTP handlers.
final class UpgradeResponseObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart

    private let promise: EventLoopPromise<(code: Int, body: [UInt8])>
    private var code: Int?
    private var body: [UInt8] = []
    private let maxBodyBytes = 64 << 10
    private var completed = false

    private func complete(_ result: Result<(code: Int, body: [UInt8]), any Error>) {
        guard !completed else { return }
        completed = true
        promise.completeWith(result)
    }

    init(promise: EventLoopPromise<(code: Int, body: [UInt8])>) {
        self.promise = promise
    }

    /// Completes when a refused upgrade's response has been read.
    var refusal: EventLoopFuture<(code: Int, body: [UInt8])> { promise.futureResult }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if head.status != .switchingProtocols { code = Int(head.status.code) }
        case .body(let buffer):
            if code != nil, body.count < maxBodyBytes {
                body += buffer.readableBytesView.prefix(maxBodyBytes - body.count)
            }
        case .end:
            if let code { complete(.success((code, body))) }
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        complete(.success((code ?? 502, body)))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Upgraded (or torn down): nothing was refused.
        complete(.failure(ChannelError.ioOnClosedChannel))
    }
}
