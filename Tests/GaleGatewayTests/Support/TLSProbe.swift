import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// A raw client for listener tests: connects (with TLS when given a configuration), sends
/// `request`, and returns the certificate the server presented and everything it sent until it
/// closed the connection.
enum TLSProbe {
    struct Exchange: Sendable {
        var peerCertificate: NIOSSLCertificate?
        var response: String
        /// Trickled lines written before the server closed the connection.
        var trickled = 0
    }

    static func exchange(
        port: Int, tls: TLSConfiguration?, request: String, trickle: [String] = [],
        trickleInterval: Duration = .milliseconds(200)
    ) async throws -> Exchange {
        let context = try tls.map { try NIOSSLContext(configuration: $0) }
        let peer = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: NIOSSLCertificate?.self)
        defer { peer.succeed(nil) }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                        try channel.pipeline.syncOperations.addHandler(PeerCertificateCapture(promise: peer))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let trickled = Counter()
        var exchange = Exchange(peerCertificate: nil, response: "")
        do {
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: request))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // A slow client keeps sending header lines until the server closes on it.
                    group.addTask {
                        for line in trickle {
                            try? await Task.sleep(for: trickleInterval)
                            guard !Task.isCancelled, (try? await outbound.write(ByteBuffer(string: line))) != nil
                            else { return }
                            trickled.increment()
                        }
                    }
                    for try await chunk in inbound {
                        if exchange.peerCertificate == nil, tls != nil {
                            exchange.peerCertificate = try await peer.futureResult.get()
                        }
                        exchange.response += String(buffer: chunk)
                    }
                    group.cancelAll()
                }
            }
        } catch let error as IOError where [ECONNRESET, EPIPE].contains(error.errnoCode) {
            // A server that closes with the trickled lines still unread resets the connection.
        } catch ChannelError.ioOnClosedChannel {
            // A line written just as the server closed fails, on whichever side notices first:
            // the server closed on us, as it should.
        }
        exchange.trickled = trickled.value
        return exchange
    }
}

/// Lines the probe's trickle got out, counted from its task.
private final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// Reads the server's certificate from the TLS handler once the handshake completes.
private final class PeerCertificateCapture: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<NIOSSLCertificate?>

    init(promise: EventLoopPromise<NIOSSLCertificate?>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
            promise.succeed(handler?.peerCertificate)
        }
        context.fireUserInboundEventTriggered(event)
    }
}
