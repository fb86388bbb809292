import Foundation
import Testing

@testable import GaleGateway

/// What a closed socket leaves behind in the gateway: nothing.
@Suite struct SocketLifetimeTests {
    /// Each upgraded socket's request context and logger go with the socket. Through
    /// hummingbird-websocket's router they did not: its upgrade stored the request context in a
    /// box the context holds, a cycle that kept about 0.5 KiB per socket ever opened, the
    /// largest part of the gateway's memory growth in the chaos soak (issue 10, point 5).
    ///
    /// Every logger that gets metadata of its own is counted while alive (``LogCapture``): the
    /// upgrade's logger (`hb.request.id`) is one per socket. After a hundred sockets opened and
    /// closed, the count returns to where it was. The ping interval and resume window are short
    /// because a cancelled `Task.sleep` (the library's ping loop) and a detached session hold
    /// their socket's logger until their deadline, which is bounded and not a leak.
    @Test func closedSocketsLeaveNoLoggerBehind() async throws {
        var live = LiveConfiguration.forTests
        live.resumeWindow = .milliseconds(200)
        try await TestGateway.with(limits: WebSocketLimits(pingInterval: .seconds(1)), live: live) { gateway in
            let token = try await gateway.token()
            let open: @Sendable () async throws -> Void = {
                try await gateway.socket(SocketOptions(token: token, deflate: true)) { socket in
                    _ = try await socket.hello()
                }
            }
            try await open()
            // The gateway's own loggers (its loops, the first socket's lazily made state) settle first.
            var baseline = gateway.logs.loggersAlive
            _ = try await eventually(timeout: .seconds(10)) {
                let now = gateway.logs.loggersAlive
                defer { baseline = now }
                return now == baseline
            }
            let sockets = 100
            for _ in 0..<sockets { try await open() }
            let returned = try await eventually(timeout: .seconds(30)) {
                gateway.logs.loggersAlive <= baseline + 10
            }
            #expect(returned, "\(gateway.logs.loggersAlive - baseline) loggers outlived \(sockets) closed sockets")
        }
    }
}

/// The upgrade routes, matched on the request path as the HTTP router matches it.
@Suite struct WebSocketRouteTests {
    @Test func socketPaths() {
        #expect(WebSocketRoutes.route(path: "/ws", diagnosticEcho: false) == .session)
        #expect(WebSocketRoutes.route(path: "/ws/", diagnosticEcho: false) == .session)
        #expect(WebSocketRoutes.route(path: "/api/v1/kubernetes/ws", diagnosticEcho: false) == .session)
        #expect(
            WebSocketRoutes.route(path: "/ws/terminal/abc-123", diagnosticEcho: false) == .terminal(ticket: "abc-123"))
        #expect(WebSocketRoutes.route(path: "/ws/echo", diagnosticEcho: true) == .echo)
    }

    @Test func otherPathsAreNotUpgraded() {
        for path in [
            "/", "/wss", "/WS", "/ws/echo", "/ws/terminal", "/ws/terminal/a/b", "/api/v1/kubernetes", "/api/v1/ws",
            "/api/v2/kubernetes/ws", "/x/api/v1/kubernetes/ws", "/healthz",
        ] {
            #expect(WebSocketRoutes.route(path: path, diagnosticEcho: false) == nil, "\(path)")
        }
    }
}
