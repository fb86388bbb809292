import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// Wraps the HTTP/1 + WebSocket child channel: TLS first (when configured) with the context
/// current when the connection opens, and the header-read timeout after the HTTP decoder.
struct GuardedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let certificates: TLSCertificates?
    let headerTimeout: TimeAmount
    /// Browser origins allowed to upgrade (``OriginGuardHandler``); `nil`: not checked.
    var origins: OriginPolicy? = nil

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            if let certificates {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: certificates.context))
            }
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }.flatMapThrowing { value in
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(
                HeaderTimeoutHandler(timeout: headerTimeout), position: .after(decoder))
            if let origins { try channel.pipeline.syncOperations.addHandler(OriginGuardHandler(policy: origins), position: .after(decoder)) }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
