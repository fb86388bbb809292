import Prometheus
import Foundation
import GaleJSON
import GaleProtocol
import HTTPTypes
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import WSCore

/// One authenticated WebSocket: reads client frames, runs requests and subscriptions
/// concurrently, and writes every answer through one ordered, bounded queue.
///
/// The channels belong to a ``LiveSession``, which outlives the socket for the resume window: a
/// client that reconnects and names it in `hello` takes it over, with what it missed replayed.
final class GatewaySession: Sendable {
    let principal: Principal
    /// The window (bits) of permessage-deflate when it was negotiated.
    let deflateWindow: Int?
    var compression: Bool { deflateWindow != nil }
    private let dispatcher: OperationDispatcher
    private let channels: LiveChannels
    private let liveSessions: LiveSessions
    private let limits: WebSocketLimits
    private let metrics: GatewayMetrics
    private let logger: Logger
    /// Where the client addressed the gateway (its upgrade request), for URLs in answers.
    private let origin: RequestOrigin?
    private let queue: OutboundQueue
    private let live: Mutex<LiveSession>
    /// Set by the first frame that is not a `hello` or `ping`: from then on this socket's session
    /// may have work under way (a `subscribe` being set up, say) that a resume would orphan, so a
    /// `hello` can no longer hand the socket to an earlier session.
    private let openedWork = Mutex(false)
    /// Set once the token's expiry has closed the socket.
    private let expired = Mutex(false)
    /// The socket's channel, once ``run(inbound:outbound:channel:)`` has it: torn down when a
    /// slow consumer does not take its close.
    private let channel = Mutex<(any Channel)?>(nil)

    /// - Parameter deflateWindow: The server window of permessage-deflate when it was negotiated.
    init(
        principal: Principal,
        deflateWindow: Int?,
        dispatcher: OperationDispatcher,
        channels: LiveChannels,
        liveSessions: LiveSessions,
        limits: WebSocketLimits,
        metrics: GatewayMetrics,
        logger: Logger,
        origin: RequestOrigin? = nil,
        quotas: SubjectQuotas? = nil,
        maxQueuedBytes: Int = .max
    ) {
        self.principal = principal
        self.origin = origin
        self.deflateWindow = deflateWindow
        self.dispatcher = dispatcher
        self.channels = channels
        self.liveSessions = liveSessions
        self.limits = limits
        self.metrics = metrics
        let live = LiveSession(principal: principal, replay: channels.configuration.replay, quotas: quotas)
        self.live = Mutex(live)
        var logger = logger
        logger[metadataKey: "session"] = "\(live.id)"
        logger[metadataKey: "subject"] = "\(principal.subject)"
        self.logger = logger
        self.queue = OutboundQueue(capacity: limits.outboundQueueCapacity, maxBytes: maxQueuedBytes)
    }

    /// The id of the live session this socket serves (it changes when the client resumes another).
    var id: String { live.withLock { $0.id } }

    private var liveSession: LiveSession { live.withLock { $0 } }

    /// Runs the session until the socket closes. Errors of the inbound stream (a message over
    /// the limit, invalid UTF-8) are rethrown so the transport closes with their code.
    ///
    /// The reader runs in the calling task; what the session sends is written by a
    /// ``SocketWriter`` on the channel's event loop, with closes handed to `outbound`.
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel) async throws {
        self.channel.withLock { $0 = channel }
        let written = try await SocketWriter.install(
            on: channel, queue: queue, deflateWindow: deflateWindow,
            sharedDeflate: (deflateWindow ?? 0) >= SharedDeflate.windowBits, metrics: metrics,
            close: { code, reason in
                Task { try? await outbound.close(WebSocketErrorCode(codeNumber: Int(code)), reason: reason) }
            })
        let session = liveSession
        liveSessions.add(session)
        await session.attach(queue, hello: .hello(helloFrame(session.id)), onOverflow: { [weak self] in self?.dropSlowConsumer() })
        defer {
            liveSession.detach(queue)
            queue.finish()
            // Bounds the detached sessions now rather than at the next timed sweep.
            liveSessions.sweepSoon()
        }
        do {
            try await readLoop(inbound)
        } catch {
            queue.finishAfterPeerClose()
            throw error
        }
        // The client closed (or the reader stopped after queueing its own close): frames still
        // queued would arrive after the close handshake, which browsers report as an error.
        queue.finishAfterPeerClose()
        try? await written.get()
    }

    /// Asks the client to go away with `code` (graceful shutdown: 1001).
    func close(code: UInt16, reason: String) {
        queue.enqueue(.close(code: code, reason: reason))
    }

    private func helloFrame(_ sessionID: String) -> ServerFrame.Hello {
        ServerFrame.Hello(
            session: sessionID,
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

    // MARK: Reading

    /// Reads client frames. Requests run beside the reader, at most `maxInFlightRequests` at a
    /// time; a discarding group lets each go (its task and memory) as soon as it is done.
    private func readLoop(_ inbound: WebSocketInboundStream) async throws {
        let slots = RequestSlots(limits.maxInFlightRequests)
        try await withThrowingDiscardingTaskGroup { requests in
            for try await message in inbound.messages(maxSize: limits.maxMessageSize) {
                metrics.framesIn.increment()
                // The transport checks the size of fragmented messages only; a single frame may
                // be as large as the frame limit.
                if message.byteCount > limits.maxMessageSize {
                    queue.abort(with: .close(code: CloseCode.messageTooBig, reason: "message too big"))
                    break
                }
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
                    switch frame {
                    case .hello, .ping: break
                    default: openedWork.withLock { $0 = true }
                    }
                    switch frame {
                    case .request, .subscribe, .exec, .upload, .download:
                        // May take a while (an apiserver call, an initial LIST): run beside the reader.
                        guard await slots.acquire() else { break }
                        requests.addTask {
                            defer { slots.release() }
                            await self.handleConcurrent(frame)
                        }
                    default:
                        await handle(frame)
                    }
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
        case .hello(let hello):
            await resume(hello)
        case .ping(let id):
            await send(.pong(id: id))
        case .unsubscribe(let channel):
            if !liveSession.unsubscribe(channel) { await noChannel(channel) }
        case .resize(let channel, let cols, let rows):
            if !(await liveSession.deliver(.resize(cols: cols, rows: rows), to: channel)) { await noChannel(channel) }
        case .request, .subscribe, .exec, .upload, .download:
            await handleConcurrent(frame)
        }
    }

    private func handleConcurrent(_ frame: ClientFrame) async {
        switch frame {
        case .request(let request):
            await handle(request)
        case .subscribe(let subscribe):
            do throws(APIError) {
                try await channels.subscribe(subscribe, session: liveSession)
            } catch {
                await send(.error(id: subscribe.id, channel: nil, code: error.code, msg: error.message))
            }
        case .exec(let exec):
            do throws(APIError) {
                try await channels.exec(exec, session: liveSession)
            } catch {
                await send(.error(id: exec.id, channel: nil, code: error.code, msg: error.message))
            }
        case .upload(let upload):
            do throws(APIError) {
                try await channels.upload(upload, session: liveSession)
            } catch {
                await send(.error(id: upload.id, channel: nil, code: error.code, msg: error.message))
            }
        case .download(let download):
            do throws(APIError) {
                try await channels.download(download, session: liveSession)
            } catch {
                await send(.error(id: download.id, channel: nil, code: error.code, msg: error.message))
            }
        default:
            await handle(frame)
        }
    }

    private func noChannel(_ channel: UInt32) async {
        await send(.error(id: nil, channel: channel, code: .invalidArgument, msg: "no open channel \(channel)"))
    }

    /// A client `hello` naming an earlier session of the same subject takes it over with this
    /// socket's principal (its token's role and scope): what each listed channel missed is
    /// replayed (or resynced), unlisted channels and those the token may not see are closed. Without a resumable session the
    /// answer is a `hello` of the current one — a new session, as the client can tell by its id.
    private func resume(_ hello: ClientFrame.Hello) async {
        let current = liveSession
        guard let wanted = hello.session, wanted != current.id,
            let previous = liveSessions.resumable(wanted, by: principal), !current.hasChannels,
            !openedWork.withLock({ $0 })
        else {
            if let wanted = hello.session, wanted != current.id { metrics.sessionResumeMisses.increment() }
            queue.enqueue(.text(ServerFrame.hello(helloFrame(current.id)).text))
            return
        }
        metrics.sessionResumes.increment()
        live.withLock { $0 = previous }
        current.detach(queue)
        liveSessions.remove(current)
        logger.info("session resumed", metadata: ["resumed": "\(previous.id)"])
        await previous.attach(
            queue, hello: .hello(helloFrame(previous.id)), resume: hello.lastSeq, principal: principal,
            onOverflow: { [weak self] in self?.dropSlowConsumer() })
    }

    private func handleBinary(_ buffer: ByteBuffer) async {
        let frame: StreamFrame
        do throws(FrameError) {
            frame = try StreamFrame(buffer: buffer)
        } catch {
            await send(.error(id: nil, channel: nil, code: error.code, msg: error.message))
            return
        }
        let input: ChannelInput
        switch frame.stream {
        case .stdin:
            input = .stdin(frame.payload)
        case .resize:
            guard let size = try? JSONValue(parsing: frame.payload.readableBytesView),
                let cols = size["cols"]?.intValue, let rows = size["rows"]?.intValue,
                (1...10_000).contains(cols), (1...10_000).contains(rows)
            else {
                await send(.error(
                    id: nil, channel: frame.channel, code: .invalidArgument,
                    msg: "a resize stream frame carries {\"cols\":1-10000,\"rows\":1-10000}"))
                return
            }
            input = .resize(cols: Int(cols), rows: Int(rows))
        case .close:
            guard frame.payload.readableBytes == 1, let stream = frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt8.self)
            else {
                await send(.error(
                    id: nil, channel: frame.channel, code: .invalidArgument,
                    msg: "a close stream frame carries one byte, the stream to close"))
                return
            }
            input = .closeStream(stream)
        default:
            await send(.error(
                id: nil, channel: frame.channel, code: .invalidArgument,
                msg: "stream \(frame.stream.rawValue) cannot be written by clients (use 0 stdin, 4 resize, 255 close)"))
            return
        }
        if !(await liveSession.deliver(input, to: frame.channel)) { await noChannel(frame.channel) }
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
            logger: logger,
            origin: origin
        )
        await send(.response(id: request.id, code: envelope.code, msg: envelope.msg, data: envelope.data))
    }

    /// A channel overflowed: the client is not reading. Everything queued is dropped for a 4008
    /// close, and if even that cannot be written soon the socket is torn down; the live session
    /// stays resumable.
    private func dropSlowConsumer() {
        logger.warning("slow consumer: closing the socket with 4008")
        metrics.slowConsumers.increment()
        queue.abort(with: .close(code: CloseCode.slowConsumer, reason: "slow consumer: reconnect and resume"))
        guard let channel = channel.withLock({ $0 }) else { return }
        channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    }

    /// Closes with 4002 once the token has expired (at `now`): a socket is never more trusted than
    /// the token that opened it. Called by the ``SessionRegistry``'s once-a-second sweep rather than
    /// by a timer per socket — a cancelled `Task.sleep` keeps its timer until the deadline, which
    /// for a day-long token would hold memory for every socket that ever closed that day.
    /// Returns whether the session was closed by this call.
    @discardableResult
    func closeIfTokenExpired(now: Date) -> Bool {
        guard principal.expiresAt <= now else { return false }
        let first = expired.withLock { expired in
            defer { expired = true }
            return !expired
        }
        guard first else { return false }
        queue.enqueue(.text(ServerFrame.error(id: nil, channel: nil, code: .tokenExpired, msg: "token expired").text))
        close(code: CloseCode.tokenExpired, reason: "token expired")
        return true
    }
}
