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
    let origins: OriginPolicy
    /// Whether `/ws/echo` is served.
    let diagnosticEcho: Bool

    /// The route of `path` (without its query), matched as the HTTP router matches paths: by
    /// components, empty ones ignored, case-sensitive.
    static func route(path: String, diagnosticEcho: Bool) -> Route? {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        let base = APIPath.base.split(separator: "/", omittingEmptySubsequences: true)
        switch components.count {
        case 1 where components[0] == "ws":
            return .session
        case 2 where components[0] == "ws" && components[1] == "echo":
            return diagnosticEcho ? .echo : nil
        case 3 where components[0] == "ws" && components[1] == "terminal":
            return .terminal(ticket: String(components[2]))
        case base.count + 1 where components.dropLast().elementsEqual(base) && components.last == "ws":
            return .session
        default:
            return nil
        }
    }

    /// The upgrade decision for a request head (the `shouldUpgrade` of the HTTP/1 channel).
    @Sendable func shouldUpgrade(_ head: HTTPRequest, _ channel: any Channel, _ logger: Logger) -> ShouldUpgradeResult<
        Handler
    > {
        let request = Request(head: head, body: .init(buffer: ByteBuffer()))
        guard head.method == .get, let route = Self.route(path: request.uri.path, diagnosticEcho: diagnosticEcho),
            origins.allows(request)
        else { return .dontUpgrade }
        switch route {
        case .session:
            return .upgrade(endpoint.responseHeaders(request)) { [endpoint] inbound, outbound, context in
                try await endpoint.session(inbound, outbound, request: request, logger: context.logger)
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
