import Prometheus
import Foundation
import GaleJSON
import GaleProtocol
import HTTPTypes
import Logging
import NIOCore
import NIOWebSocket
import WSCore

/// One authenticated WebSocket: reads client frames, runs requests concurrently through the
/// operation dispatcher, and writes every answer through one ordered, bounded queue.
final class GatewaySession: Sendable {
    let id: String
    let principal: Principal
    let compression: Bool
    private let dispatcher: OperationDispatcher
    private let limits: WebSocketLimits
    private let metrics: GatewayMetrics
    private let logger: Logger
    private let queue: OutboundQueue

    init(
        principal: Principal,
        compression: Bool,
        dispatcher: OperationDispatcher,
        limits: WebSocketLimits,
        metrics: GatewayMetrics,
        logger: Logger
    ) {
        self.id = Self.makeSessionID()
        self.principal = principal
        self.compression = compression
        self.dispatcher = dispatcher
        self.limits = limits
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "session"] = "\(id)"
        logger[metadataKey: "subject"] = "\(principal.subject)"
        self.logger = logger
        self.queue = OutboundQueue(capacity: limits.outboundQueueCapacity)
    }

    /// Runs the session until the socket closes. Errors of the inbound stream (a message over
    /// the limit, invalid UTF-8) are rethrown so the transport closes with their code.
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.writeLoop(outbound) }
            group.addTask { try await self.closeWhenTokenExpires() }
            do {
                await send(.hello(helloFrame))
                try await readLoop(inbound)
            } catch {
                await queue.finish()
                group.cancelAll()
                throw error
            }
            await queue.finish()
            group.cancelAll()
        }
    }

    /// Asks the client to go away with `code` (graceful shutdown: 1001).
    func close(code: UInt16, reason: String) async {
        await queue.send(.close(code: code, reason: reason))
    }

    private var helloFrame: ServerFrame.Hello {
        ServerFrame.Hello(
            session: id,
            subject: principal.subject,
            role: principal.role.rawValue,
            heartbeatSeconds: Int(limits.pingInterval.components.seconds),
            maxMessageBytes: limits.maxMessageSize,
            compression: compression
        )
    }

    private func send(_ frame: ServerFrame) async {
        await queue.send(.text(frame.text))
    }

    private func readLoop(_ inbound: WebSocketInboundStream) async throws {
        try await withThrowingTaskGroup(of: Void.self) { requests in
            var inFlight = 0
            for try await message in inbound.messages(maxSize: limits.maxMessageSize) {
                metrics.framesIn.increment()
                switch message {
                case .text(let text):
                    metrics.bytesIn.increment(by: Int64(text.utf8.count))
                    let frame: ClientFrame
                    do throws(FrameError) {
                        frame = try ClientFrame(text: text.utf8)
                    } catch {
                        await send(.error(id: error.id, channel: nil, code: error.code, msg: error.message))
                        continue
                    }
                    guard case .request(let request) = frame else {
                        await handle(frame)
                        continue
                    }
                    if inFlight >= limits.maxInFlightRequests {
                        try await requests.next()
                        inFlight -= 1
                    }
                    requests.addTask { await self.handle(request) }
                    inFlight += 1
                case .binary(let buffer):
                    metrics.bytesIn.increment(by: Int64(buffer.readableBytes))
                    await handleBinary(buffer)
                }
            }
            requests.cancelAll()
        }
    }

    private func handle(_ frame: ClientFrame) async {
        switch frame {
        case .hello:
            // Resuming channels arrives with live channels; until then a client learns from the
            // session id in this answer that it has a new session.
            await send(.hello(helloFrame))
        case .ping(let id):
            await send(.pong(id: id))
        case .request(let request):
            await handle(request)
        case .subscribe(let subscribe):
            await send(unavailable(id: subscribe.id, "stream \"\(subscribe.stream)\""))
        case .exec(let exec):
            await send(unavailable(id: exec.id, "exec"))
        case .unsubscribe(let channel), .resize(let channel, _, _):
            await send(.error(id: nil, channel: channel, code: .invalidArgument, msg: "no open channel \(channel)"))
        }
    }

    private func unavailable(id: FrameID, _ what: String) -> ServerFrame {
        .error(id: id, channel: nil, code: .invalidArgument, msg: "\(what) is not available on this gateway version")
    }

    private func handleBinary(_ buffer: ByteBuffer) async {
        do throws(FrameError) {
            let frame = try StreamFrame(buffer: buffer)
            await send(.error(id: nil, channel: frame.channel, code: .invalidArgument, msg: "no open channel \(frame.channel)"))
        } catch {
            await send(.error(id: nil, channel: nil, code: error.code, msg: error.message))
        }
    }

    private func handle(_ request: ClientFrame.Request) async {
        let (path, pathQuery) = APIPath.split(request.path)
        let envelope = await dispatcher.dispatch(
            method: HTTPRequest.Method(rawValue: request.method) ?? .get,
            path: path,
            query: pathQuery.merging(request.query) { _, frameValue in frameValue },
            body: request.body,
            principal: principal,
            transport: .websocket,
            logger: logger
        )
        await send(.response(id: request.id, code: envelope.code, msg: envelope.msg, data: envelope.data))
    }

    private func writeLoop(_ outbound: WebSocketOutboundWriter) async {
        while let message = await queue.next() {
            do {
                switch message {
                case .text(let text):
                    try await outbound.write(.text(text))
                    metrics.framesOut.increment()
                    metrics.bytesOut.increment(by: Int64(text.utf8.count))
                case .binary(let buffer):
                    try await outbound.write(.binary(buffer))
                    metrics.framesOut.increment()
                    metrics.bytesOut.increment(by: Int64(buffer.readableBytes))
                case .close(let code, let reason):
                    try await outbound.close(WebSocketErrorCode(codeNumber: Int(code)), reason: reason)
                    await queue.finish()
                    return
                }
            } catch {
                logger.debug("socket write failed", metadata: ["error": "\(error)"])
                await queue.finish()
                return
            }
        }
    }

    /// Closes with 4002 when the token expires mid-session: a socket is never more trusted than
    /// the token that opened it.
    private func closeWhenTokenExpires() async throws {
        let remaining = principal.expiresAt.timeIntervalSinceNow
        try await Task.sleep(for: .seconds(max(0, remaining)))
        await send(.error(id: nil, channel: nil, code: .tokenExpired, msg: "token expired"))
        await close(code: CloseCode.tokenExpired, reason: "token expired")
    }

    private static func makeSessionID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
