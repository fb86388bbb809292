import GaleProtocol
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import WSCore

/// Which handler a WebSocket upgrade request gets: the gateway protocol on `/ws` and
/// `/api/v1/kubernetes/ws`, a terminal on `/ws/terminal/{ticket}`, and the diagnostic echo on
/// `/ws/echo` when it is enabled. Anything else, and any request from a browser origin that may
/// not open sockets, is not upgraded (the HTTP router then answers it).
///
/// The routes are matched here, on the request head, rather than by a Hummingbird router. The
/// router's upgrade path (hummingbird-websocket 2.8.1) puts the request context into a box that
/// the context itself holds; that cycle kept each upgraded socket's context and logger alive
/// for the rest of the process, about 0.5 KiB per socket ever opened. Here a handler is a
/// closure over the request, released with its connection, and no task is started to decide.
struct WebSocketRoutes: Sendable {
    typealias Handler = WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>

    /// Where an upgrade request goes.
    enum Route: Equatable, Sendable {
        /// The multiplexed gateway protocol.
        case session
        /// One terminal, by its ticket.
        case terminal(ticket: String)
        /// The diagnostic echo.
        case echo
    }

    let endpoint: WebSocketEndpoint
    let terminals: TerminalEndpoint
    /// Whether `/ws/echo` is served.
    let diagnosticEcho: Bool

    /// Every socket path with its route, in the router's pattern syntax (`{ticket}` is one path
    /// component). The HTTP router answers the same paths when no upgrade was made
    /// (``OriginPolicy/addRefusals(to:)``).
    static let paths: [(pattern: String, route: @Sendable (_ ticket: String) -> Route)] = [
        ("/ws", { _ in .session }),
        ("\(APIPath.base)/ws", { _ in .session }),
        ("/ws/echo", { _ in .echo }),
        ("/ws/terminal/{ticket}", { .terminal(ticket: $0) }),
    ]

    /// The route of `path` (without its query), matched as the HTTP router matches paths: by
    /// components, empty ones ignored, case-sensitive.
    static func route(path: String, diagnosticEcho: Bool) -> Route? {
        let components = path.split(separator: "/")
        for (pattern, route) in paths {
            let expected = pattern.split(separator: "/")
            guard expected.count == components.count else { continue }
            var ticket = ""
            let matches = zip(expected, components).allSatisfy { want, got in
                if want == "{ticket}" { ticket = String(got) } else if want != got { return false }
                return true
            }
            guard matches else { continue }
            let found = route(ticket)
            return found == .echo && !diagnosticEcho ? nil : found
        }
        return nil
    }

    /// The upgrade decision for a request head (the `shouldUpgrade` of the HTTP/1 channel).
    @Sendable func shouldUpgrade(_ head: HTTPRequest, _ channel: any Channel, _ logger: Logger) -> ShouldUpgradeResult<
        Handler
    > {
        let request = Request(head: head, body: .init(buffer: ByteBuffer()))
        guard head.method == .get, let route = Self.route(path: request.uri.path, diagnosticEcho: diagnosticEcho),
            endpoint.sessions.origins.allows(request)
        else { return .dontUpgrade }
        switch route {
        case .session:
            return .upgrade(endpoint.responseHeaders(request)) { [endpoint] inbound, outbound, context in
                try await endpoint.session(inbound, outbound, request: request, channel: channel, logger: context.logger)
            }
        case .echo:
            return .upgrade(endpoint.responseHeaders(request)) { [endpoint] inbound, outbound, _ in
                try await endpoint.echo(inbound, outbound, request: request)
            }
        case .terminal(let ticket):
            return .upgrade([:]) { [terminals] inbound, outbound, context in
                try await terminals.terminal(
                    inbound, outbound, ticket: ticket, request: request, logger: context.logger)
            }
        }
    }
}
