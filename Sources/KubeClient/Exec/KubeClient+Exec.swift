import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOWebSocket

extension KubeClient {
    /// The preferred exec subprotocol (adds the stdin close signal).
    public static let execSubprotocolV5 = "v5.channel.k8s.io"
    /// The fallback exec subprotocol.
    public static let execSubprotocolV4 = "v4.channel.k8s.io"

    /// Starts a command in a container (`GET .../pods/POD/exec` upgraded to WebSocket), offering
    /// `v5.channel.k8s.io` then `v4.channel.k8s.io`.
    ///
    /// A refused upgrade (missing pod, forbidden, bad container) throws ``KubeError`` with the apiserver's message.
    ///
    /// WSClient (swift-websocket) is not used here: it can send `Sec-WebSocket-Protocol` but does not
    /// tell which protocol the server chose, nor the `Status` body of a refused upgrade; and NIO's
    /// upgrade handler can lose what arrives right behind the `101`. The connection is upgraded by
    /// ``ExecUpgradeHandler`` and framed by NIOWebSocket.
    public func exec(namespace: String, pod: String, options: ExecOptions) async throws -> ExecSession {
        let path = "/api/v1/namespaces/\(PathComponent.escape(namespace))/pods/\(PathComponent.escape(pod))/exec"
        let (channel, subprotocol) = try await connectExec(path: path, query: options.query)
        let (output, outputContinuation) = AsyncThrowingStream.makeStream(of: ExecSession.Output.self)
        let gate = ExecFlowGate(window: configuration.execOutputWindow)
        outputContinuation.onTermination = { _ in gate.open() }
        let (writers, writerContinuation) = AsyncStream.makeStream(
            of: NIOAsyncChannelOutboundWriter<WebSocketFrame>.self)
        // Unstructured task: it owns the connection for the whole session, which outlives this call.
        // ExecSession.close() ends it, and ExecSession.exitStatus() awaits its result.
        let finished = Task<ExecExitStatus, any Error> {
            do {
                let status = try await channel.executeThenClose { inbound, outbound in
                    writerContinuation.yield(outbound)
                    writerContinuation.finish()
                    return try await Self.pumpExec(
                        inbound: inbound, outbound: outbound, output: outputContinuation, gate: gate)
                }
                outputContinuation.finish()
                return status
            } catch {
                let failure = Self.transportError(error)
                writerContinuation.finish()
                outputContinuation.finish(throwing: failure)
                throw failure
            }
        }
        var iterator = writers.makeAsyncIterator()
        guard let writer = await iterator.next() else {
            _ = try await finished.value
            throw KubeError.unreachable("the exec connection closed at once")
        }
        return ExecSession(
            subprotocol: subprotocol, output: ExecOutputStream(stream: output, gate: gate), outbound: writer,
            finished: finished)
    }

    /// Reads frames: stdout/stderr to `output`, the channel-3 `Status` into the result; answers pings.
    static func pumpExec(
        inbound: NIOAsyncChannelInboundStream<WebSocketFrame>,
        outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>,
        output: AsyncThrowingStream<ExecSession.Output, any Error>.Continuation,
        gate: ExecFlowGate
    ) async throws -> ExecExitStatus {
        var status: Result<ExecExitStatus, any Error>?
        var message = ByteBuffer()
        frames: for try await frame in inbound {
            switch frame.opcode {
            case .ping:
                try await outbound.write(
                    WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData))
            case .connectionClose:
                try? await outbound.write(
                    WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: ByteBuffer()))
                break frames
            case .binary, .text, .continuation:
                var data = frame.unmaskedData
                message.writeBuffer(&data)
                guard frame.fin else { continue }
                defer { message.clear() }
                guard let channel: UInt8 = message.readInteger() else { continue }
                let payload = Array(message.readableBytesView)
                switch channel {
                case 1, 2:
                    if !payload.isEmpty {
                        output.yield(.init(stream: .init(channel: channel), bytes: payload))
                        await gate.acquire()
                    }
                case 3:
                    guard !payload.isEmpty else { continue }
                    guard let json = try? KubeJSON(parsing: payload) else {
                        status = .failure(KubeError.decoding("the exec status is not JSON"))
                        continue
                    }
                    status = Result { try ExecExitStatus.parse(json) }
                default:
                    continue
                }
            default:
                continue
            }
        }
        guard let status else { throw KubeError.unreachable("the exec stream ended without an exit status") }
        return try status.get()
    }

    /// Opens the connection (TLS as for REST, with `tls-server-name` as SNI) and performs the WebSocket upgrade.
    func connectExec(path: String, query: [(String, String)]) async throws
        -> (NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, String)
    {
        let authorization: KubeCredentials.Authorization
        do {
            authorization = try await target.credentials.authorization()
        } catch let error as KubeconfigError {
            throw KubeError.unauthorized("cannot obtain credentials: \(error)")
        }
        guard let host = target.server.host else { throw KubeError.unreachable("the server URL has no host") }
        let secure = target.server.scheme?.lowercased() == "https"
        let port = target.server.port ?? (secure ? 443 : 80)
        var sslContext: NIOSSLContext?
        if secure {
            var tlsConfiguration = tls.base
            if let certificate = authorization.clientCertificatePEM, let key = authorization.clientKeyPEM {
                tlsConfiguration = try tls.with(clientCertificatePEM: certificate, keyPEM: key)
            }
            sslContext = try NIOSSLContext(configuration: tlsConfiguration)
        }
        let serverName = target.tls.serverName ?? (host.isIPAddress ? nil : host)
        var prefix = target.server.path
        while prefix.hasSuffix("/") { prefix.removeLast() }
        var uri = prefix + path
        if !query.isEmpty {
            uri += "?" + query.map { "\(Self.encodeQuery($0.0))=\(Self.encodeQuery($0.1))" }.joined(separator: "&")
        }
        var head = "GET \(uri) HTTP/1.1\r\n"
        let impersonationHeaders: [(String, String?)] = try impersonation?.headers().map { ($0.0, $0.1) } ?? []
        for (name, value) in [
            ("Host", target.server.port.map { "\(host):\($0)" } ?? host),
            ("User-Agent", configuration.userAgent),
            ("Sec-WebSocket-Protocol", "\(Self.execSubprotocolV5), \(Self.execSubprotocolV4)"),
            ("Authorization", authorization.header),
        ] + impersonationHeaders {
            guard let value else { continue }
            guard !value.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw KubeError.decoding("the \(name) header of the exec request would contain a line break")
            }
            head += "\(name): \(value)\r\n"
        }

        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.init(configuration.connectTimeout))
        let outcome: ExecUpgradeHandler.Outcome
        do {
            let future = try await bootstrap.connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                    }
                    let upgrade = ExecUpgradeHandler(
                        head: head, maxFrameSize: 1 << 20, promise: channel.eventLoop.makePromise())
                    try pipeline.addHandler(upgrade)
                    return upgrade.outcome
                }
            }
            outcome = try await future.get()
        } catch let error as KubeError {
            throw error
        } catch {
            throw Self.transportError(error)
        }
        switch outcome {
        case .upgraded(let channel, let subprotocol):
            guard subprotocol == Self.execSubprotocolV5 || subprotocol == Self.execSubprotocolV4 else {
                try? await channel.channel.close()
                throw KubeError.decoding(
                    "the server chose no supported exec subprotocol (\(subprotocol.isEmpty ? "none" : subprotocol))")
            }
            return (channel, subprotocol)
        case .refused(let code, let body):
            throw KubeError.fromResponse(code: code, body: body)
        }
    }
}

extension String {
    /// Whether this is an IPv4 or IPv6 literal (SNI must not carry one).
    var isIPAddress: Bool {
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        return inet_pton(AF_INET, self, &ipv4) == 1 || inet_pton(AF_INET6, self, &ipv6) == 1
    }
}
