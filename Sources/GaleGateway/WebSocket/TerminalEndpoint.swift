import Foundation
import GaleProtocol
import Hummingbird
import HummingbirdWebSocket
import KubeClient
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import WSCore

/// `GET /ws/terminal/{ticket}`: one terminal, in the form xterm.js's `AttachAddon` speaks.
///
/// The ticket from `GET /pods/{name}/terminal` or `GET /nodes/{name}/terminal` is the socket's
/// only credential; it is consumed on first use, and the role and cluster scope of the user it
/// was issued to are checked again. The client's binary and text messages are the shell's stdin,
/// except a text message that is a resize object (see ``TerminalInput``); the shell's output
/// comes back as binary messages of raw bytes. When the process exits the socket gets the text
/// `\r\n[process exited with code N]\r\n` and closes with 1000. Closing the socket ends the exec
/// upstream, and deletes the pod of a node terminal. Refusals and failures are written as one
/// text line (`kubegale: … (error CODE)`) before the close, so a terminal shows them.
struct TerminalEndpoint: Sendable {
    let tickets: TerminalTickets
    let access: ClusterAccess
    /// Where open terminals are registered, so that a graceful shutdown reaches them.
    let sessions: SessionRegistry
    let limits: WebSocketLimits
    let configuration: TerminalConfiguration

    /// The terminal session, from ticket to close. Every upgrade from an allowed origin gets
    /// here: a bad ticket is reported on the socket, where the terminal shows it.
    func terminal(
        _ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, ticket: String, request: Request,
        logger: Logger
    ) async throws {
        guard let grant = await tickets.redeem(ticket) else {
            let refusal = APIError(.unauthenticated, "the terminal ticket is invalid, expired or already used")
            await Self.finish(
                outbound, line: Self.line(refusal), code: Self.closeCode(refusal), reason: refusal.message)
            return
        }
        // A terminal is a socket and an exec session of its subject.
        let leases: [SubjectQuotas.Lease]
        switch (sessions.quotas.acquire(.socket, subject: grant.subject), sessions.quotas.acquire(.exec, subject: grant.subject)) {
        case (.success(let socket), .success(let exec)):
            leases = [socket, exec]
        case (.failure(let refusal), _), (_, .failure(let refusal)):
            await Self.finish(
                outbound, line: Self.line(refusal.apiError), code: WebSocketErrorCode(codeNumber: Int(refusal.closeCode)),
                reason: refusal.apiError.message)
            return
        }
        defer { for lease in leases { lease.release() } }
        var logger = logger
        logger[metadataKey: "subject"] = "\(grant.subject)"
        logger[metadataKey: "cluster.id"] = "\(grant.clusterID)"
        logger[metadataKey: "pod"] = "\(grant.namespace)/\(grant.pod)"
        let bridge: ExecBridge
        do throws(APIError) {
            bridge = try await open(grant, query: APIPath.query(request.uri))
        } catch {
            logger.info("terminal refused", metadata: ["code": "\(error.code.rawValue)", "reason": "\(error.message)"])
            await Self.finish(outbound, line: Self.line(error), code: Self.closeCode(error), reason: error.message)
            if grant.deletesPod { await NodeDebugPod.delete(grant, access: access, logger: logger) }
            return
        }
        logger.info("terminal opened", metadata: ["container": "\(grant.container)"])
        var failure: (any Error)?
        do {
            try await run(bridge, principal: grant.principal, inbound: inbound, outbound: outbound, logger: logger)
        } catch {
            failure = error
        }
        if grant.deletesPod { await NodeDebugPod.delete(grant, access: access, logger: logger) }
        logger.info("terminal closed")
        if let failure { throw failure }
    }

    /// Checks the grant's caller again and opens the exec; `cols` and `rows` in the query give
    /// the initial terminal size.
    private func open(_ grant: TerminalGrant, query: [String: String]) async throws(APIError) -> ExecBridge {
        guard grant.principal.expiresAt > Date() else { throw .tokenExpired() }
        // A node terminal is a privileged pod on the node: admins only, as when it was asked for.
        try grant.principal.requireRole(grant.deletesPod ? .admin : .operator, for: "open terminals")
        let target = ExecBridge.Target(
            namespace: grant.namespace, pod: grant.pod, container: grant.container, command: grant.command, tty: true,
            cols: query["cols"].flatMap(Int.init).map(Self.clamp), rows: query["rows"].flatMap(Int.init).map(Self.clamp)
        )
        return try await ExecBridge.open(
            access: access, principal: grant.principal, cluster: String(grant.clusterID), target: target,
            configuration: .init(idleTimeout: configuration.idleTimeout))
    }

    /// Runs the open terminal: client input to the exec in one task, exec output to the client in
    /// this one. The ``SessionRegistry`` ends the shell when the gateway shuts down or the token
    /// expires (its one-second sweep, as for the multiplexed sockets), and this says which. An
    /// error of the client's side (a message over the limit, invalid UTF-8) is rethrown so the
    /// transport closes with its code.
    private func run(
        _ bridge: ExecBridge, principal: Principal, inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter, logger: Logger
    ) async throws {
        let maxMessageSize = limits.maxMessageSize
        let socket = TerminalSocket(bridge: bridge, expiresAt: principal.expiresAt)
        sessions.register(socket)
        defer { sessions.unregister(socket) }
        let inputFailure = await withTaskGroup(of: (any Error)?.self) { group in
            group.addTask {
                var failure: (any Error)?
                do {
                    try await Self.forward(inbound, to: bridge, maxMessageSize: maxMessageSize)
                } catch {
                    failure = error
                }
                // The client went away (or broke the protocol): the shell must not outlive it.
                await bridge.close()
                return failure
            }
            let ending: Result<ExecBridge.Ending, any Error>
            do {
                ending = .success(
                    try await bridge.pump { _, bytes in
                        (try? await outbound.write(.binary(ByteBuffer(bytes: bytes)))) != nil
                    })
            } catch {
                ending = .failure(error)
            }
            switch socket.endedBy {
            case .shutdown:
                await Self.finish(
                    outbound, line: "\r\n[kubegale: the server is shutting down]\r\n", code: .goingAway,
                    reason: "server shutting down")
            case .tokenExpiry:
                let expired = APIError.tokenExpired()
                await Self.finish(
                    outbound, line: "\r\n" + Self.line(expired), code: Self.closeCode(expired), reason: "token expired")
            case nil:
                await report(ending, outbound, logger: logger)
            }
            group.cancelAll()
            var failure: (any Error)?
            for await result in group { failure = failure ?? result }
            return failure
        }
        if let inputFailure { throw inputFailure }
    }

    /// Tells the client how the exec ended and closes the socket: the exit code and 1000, the
    /// idle timeout and 1000, an upstream failure and 1011; nothing when the client left first.
    private func report(
        _ ending: Result<ExecBridge.Ending, any Error>, _ outbound: WebSocketOutboundWriter, logger: Logger
    )
        async
    {
        switch ending {
        case .success(.exited(let status)):
            logger.info("terminal process exited", metadata: ["exit.code": "\(status.code)"])
            await Self.finish(
                outbound, line: "\r\n[process exited with code \(status.code)]\r\n", code: .normalClosure,
                reason: "process exited with code \(status.code)")
        case .success(.idle):
            let idle = Self.spoken(configuration.idleTimeout ?? .zero)
            await Self.finish(
                outbound, line: "\r\n[kubegale: terminal closed after \(idle) without input or output]\r\n",
                code: .normalClosure, reason: "idle timeout")
        case .success(.closed):
            try? await outbound.close(.normalClosure, reason: nil)
        case .failure(let error):
            logger.info("terminal upstream failed", metadata: ["error": "\(error)"])
            let failure = APIError(.clusterUnreachable, "the exec connection failed: \(APIError.reason(of: error))")
            await Self.finish(outbound, line: "\r\n" + Self.line(failure), code: .unexpectedServerError, reason: nil)
        }
    }

    /// Client messages to the exec: resizes resize, everything else is stdin. Returns when the
    /// client closes the socket.
    private static func forward(_ inbound: WebSocketInboundStream, to bridge: ExecBridge, maxMessageSize: Int)
        async throws
    {
        for try await message in inbound.messages(maxSize: maxMessageSize) {
            let input: TerminalInput
            switch message {
            case .text(let text): input = TerminalInput(text: text)
            case .binary(let buffer): input = TerminalInput(binary: Array(buffer.readableBytesView))
            }
            // Failures mean the exec has ended; the pump reports how, so they are not errors here.
            switch input {
            case .stdin(let bytes): try? await bridge.stdin(bytes)
            case .resize(let cols, let rows): try? await bridge.resize(cols: cols, rows: rows)
            }
        }
    }

    /// Writes `line` as a text message, then closes with `code`. Write failures mean the client is gone.
    /// A duration as a person reads it in a terminal line: "45 s", "1 min", "1 min 30 s".
    static func spoken(_ duration: Duration) -> String {
        let seconds = max(0, duration.components.seconds)
        switch (seconds / 60, seconds % 60) {
        case (0, let rest): return "\(rest) s"
        case (let minutes, 0): return "\(minutes) min"
        case (let minutes, let rest): return "\(minutes) min \(rest) s"
        }
    }

    private static func finish(
        _ outbound: WebSocketOutboundWriter, line: String, code: WebSocketErrorCode, reason: String?
    ) async {
        try? await outbound.write(.text(line))
        // A close reason must fit a control frame (125 bytes, 2 of them the code).
        let reason = reason.map { String(decoding: Array($0.utf8.prefix(120)), as: UTF8.self) }
        try? await outbound.close(code, reason: reason)
    }

    /// A failure as a terminal line.
    private static func line(_ error: APIError) -> String {
        "kubegale: \(error.message) (error \(error.code.rawValue))\r\n"
    }

    /// 4001 for a bad ticket, 4002 for an expired token, 1008 when the caller may not (1005) or
    /// the cluster is gone (1002), 1011 when the exec could not be opened upstream.
    private static func closeCode(_ error: APIError) -> WebSocketErrorCode {
        switch error.code {
        case .unauthenticated: WebSocketErrorCode(codeNumber: Int(CloseCode.unauthenticated))
        case .tokenExpired: WebSocketErrorCode(codeNumber: Int(CloseCode.tokenExpired))
        case .forbidden, .clusterNotFound: .policyViolation
        default: .unexpectedServerError
        }
    }

    private static func clamp(_ value: Int) -> Int {
        min(max(value, 1), TerminalInput.maxDimension)
    }
}

/// An open terminal as the ``SessionRegistry`` sees it: the registry ends its shell on graceful
/// shutdown, or once its token has expired, and the terminal then says which.
final class TerminalSocket: Sendable {
    /// Why the gateway ended the shell.
    enum Ending: Sendable {
        /// The gateway is shutting down (1001).
        case shutdown
        /// The token the terminal was opened with has expired (4002).
        case tokenExpiry
    }

    private let bridge: ExecBridge
    /// When the token the terminal was opened with expires.
    let expiresAt: Date
    private let ending = Mutex<Ending?>(nil)

    init(bridge: ExecBridge, expiresAt: Date) {
        self.bridge = bridge
        self.expiresAt = expiresAt
    }

    /// Why the gateway ended the shell; `nil` when the shell or the client ended it.
    var endedBy: Ending? { ending.withLock { $0 } }

    /// Ends the shell; the terminal then says goodbye with 1001.
    func shutDown() { end(.shutdown) }

    /// Ends the shell if the token has expired by `now`; the terminal then closes with 4002.
    func closeIfTokenExpired(now: Date) {
        if expiresAt <= now { end(.tokenExpiry) }
    }

    private func end(_ reason: Ending) {
        let first = ending.withLock { ending in
            guard ending == nil else { return false }
            ending = reason
            return true
        }
        if first { Task { [bridge] in await bridge.close() } }
    }
}
