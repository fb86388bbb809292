import GaleProtocol
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import WSCore

/// The `/ws` endpoint: the upgrade's answer, authentication of the socket, and hand-over to a
/// ``GatewaySession``. The diagnostic echo endpoint shares all of it except the session.
struct WebSocketEndpoint: Sendable {
    let authority: TokenAuthority
    let dispatcher: OperationDispatcher
    let channels: LiveChannels
    let sessions: SessionRegistry
    let limits: WebSocketLimits
    let metrics: GatewayMetrics
    /// Whether the gateway serves TLS itself (wss, for the URLs it hands out).
    let overTLS: Bool

    /// The headers of the `101` answer: the `kubegale.v1` subprotocol echoed when it is offered.
    /// Every upgrade from an allowed origin is accepted (``WebSocketRoutes``): authentication
    /// failures are reported on the socket, where a browser can read them.
    func responseHeaders(_ request: Request) -> HTTPFields {
        var headers = HTTPFields()
        if BearerToken.subprotocols(request.headers).contains(ProtocolVersion.current) {
            headers[.secWebSocketProtocol] = ProtocolVersion.current
        }
        return headers
    }

    /// The gateway protocol.
    func session(
        _ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, request: Request, channel: any Channel,
        logger: Logger
    ) async throws {
        guard let principal = await authenticate(request, outbound),
            let lease = await admit(principal, outbound)
        else { return }
        defer { lease.release() }
        let session = GatewaySession(
            principal: principal,
            deflateWindow: limits.compression ? MeteredDeflateBuilder.negotiatedServerWindow(requestHeaders: request.headers) : nil,
            dispatcher: dispatcher,
            channels: channels,
            liveSessions: sessions.live,
            limits: limits,
            metrics: metrics,
            logger: logger,
            origin: RequestOrigin(request.head, overTLS: overTLS),
            quotas: sessions.quotas,
            maxQueuedBytes: sessions.security.maxQueuedBytes
        )
        sessions.register(session)
        defer { sessions.unregister(session) }
        logger.info("session opened", metadata: ["session": "\(session.id)", "subject": "\(principal.subject)"])
        try await session.run(inbound: inbound, outbound: outbound, channel: channel)
        logger.info("session closed", metadata: ["session": "\(session.id)"])
    }

    /// Diagnostic echo over the same transport configuration (Autobahn|Testsuite runs on it).
    func echo(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, request: Request) async throws {
        guard let principal = await authenticate(request, outbound),
            let lease = await admit(principal, outbound)
        else { return }
        defer { lease.release() }
        for try await message in inbound.messages(maxSize: limits.maxMessageSize) {
            if message.byteCount > limits.maxMessageSize {
                try await outbound.close(.messageTooLarge, reason: "message too big")
                return
            }
            switch message {
            case .text(let text): try await outbound.write(.text(text))
            case .binary(let buffer): try await outbound.write(.binary(buffer))
            }
        }
    }

    /// The principal of the socket's token; or, after telling the client why, `nil` with the
    /// socket closed (4001 for bad credentials, 4002 for an expired token).
    private func authenticate(_ request: Request, _ outbound: WebSocketOutboundWriter) async -> Principal? {
        let token = BearerToken.find(headers: request.headers, query: APIPath.query(request.uri))
        do throws(APIError) {
            return try await authority.authenticate(token)
        } catch {
            let closeCode = error.code == .tokenExpired ? CloseCode.tokenExpired : CloseCode.unauthenticated
            let frame = ServerFrame.error(id: nil, channel: nil, code: error.code, msg: error.message)
            try? await outbound.write(.text(frame.text))
            try? await outbound.close(WebSocketErrorCode(codeNumber: Int(closeCode)), reason: error.message)
            return nil
        }
    }

    /// A socket slot for the principal's subject; or, after telling the client why, `nil` with
    /// the socket closed (1008 when the subject is at its quota, 1013 when the gateway is full).
    private func admit(_ principal: Principal, _ outbound: WebSocketOutboundWriter) async -> SubjectQuotas.Lease? {
        switch sessions.quotas.acquire(.socket, subject: principal.subject) {
        case .success(let lease):
            return lease
        case .failure(let refusal):
            let error = refusal.apiError
            try? await outbound.write(.text(ServerFrame.error(id: nil, channel: nil, code: error.code, msg: error.message).text))
            try? await outbound.close(WebSocketErrorCode(codeNumber: Int(refusal.closeCode)), reason: error.message)
            return nil
        }
    }
}

extension WebSocketMessage {
    /// Payload bytes of the message (UTF-8 bytes of a text message).
    var byteCount: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let buffer): buffer.readableBytes
        }
    }
}
