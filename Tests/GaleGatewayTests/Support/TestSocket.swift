import Foundation
import GaleJSON
import GaleProtocol
import HTTPTypes
import Logging
import NIOCore
import NIOWebSocket
import WSClient
import WSCompression
import WSCore

/// How a test socket connects.
struct SocketOptions {
    var token: String?
    /// Where the token goes.
    enum Placement { case header, query, subprotocol }
    var placement: Placement = .header
    var deflate = false
    var maxFrameSize = 16 << 20
    /// Sent with the upgrade request besides the token (an `Origin`, say).
    var headers = HTTPFields()
}

extension TestGateway {
    /// Connects a WebSocket client and runs `body` with it; returns the close frame the
    /// server sent, if any.
    @discardableResult
    func socket(
        _ options: SocketOptions,
        path: String = "/ws",
        _ body: @escaping @Sendable (inout TestSocket) async throws -> Void
    ) async throws -> WebSocketCloseFrame? {
        var url = "ws://127.0.0.1:\(port)\(path)"
        var headers = options.headers
        switch (options.token, options.placement) {
        case (let token?, .header): headers[.authorization] = "Bearer \(token)"
        case (let token?, .query): url += "?access_token=\(token)"
        case (let token?, .subprotocol): headers[.secWebSocketProtocol] = "kubegale.v1, bearer.\(token)"
        case (nil, _): break
        }
        var configuration = WebSocketClientConfiguration(
            maxFrameSize: options.maxFrameSize,
            additionalHeaders: headers,
            autoPing: .disabled,
            validateUTF8: true
        )
        if options.deflate {
            configuration.extensions = [WebSocketExtensionFactory.perMessageDeflate(maxDecompressedFrameSize: 16 << 20).build()]
        }
        return try await WebSocketClient.connect(url: url, configuration: configuration, logger: Logger(label: "test-client")) {
            inbound, outbound, _ in
            var socket = TestSocket(messages: inbound.messages(maxSize: 16 << 20).makeAsyncIterator(), outbound: outbound)
            try await body(&socket)
        }
    }
}

/// The client side of a test socket: send frames, receive decoded server frames.
struct TestSocket {
    var messages: WebSocketInboundMessageStream.AsyncIterator
    let outbound: WebSocketOutboundWriter

    mutating func receive() async throws -> ServerFrame {
        guard let message = try await messages.next() else { throw TestFailure("socket closed") }
        guard case .text(let text) = message else { throw TestFailure("expected a text frame") }
        return try ServerFrame(text: text.utf8)
    }

    /// Reads until the socket closes; returns the text frames seen.
    mutating func drain() async throws -> [ServerFrame] {
        var frames: [ServerFrame] = []
        while let message = try await messages.next() {
            if case .text(let text) = message { frames.append(try ServerFrame(text: text.utf8)) }
        }
        return frames
    }

    func send(_ frame: ClientFrame) async throws {
        try await outbound.write(.text(frame.json.jsonString))
    }

    func send(text: String) async throws {
        try await outbound.write(.text(text))
    }

    /// Sends a request and waits for its response (other frames before it are skipped).
    mutating func request(
        _ method: String,
        _ path: String,
        body: JSONValue? = nil,
        id: FrameID = .string(UUID().uuidString)
    ) async throws -> (code: ErrorCode, msg: String, data: JSONValue) {
        try await send(.request(.init(id: id, method: method, path: path, body: body)))
        while true {
            if case .response(let responseID, let code, let msg, let data) = try await receive(), responseID == id {
                return (code, msg, data)
            }
        }
    }

    /// A sensitive request as a console sends it: ask, then repeat with the 1010's `confirm_token`.
    mutating func confirmed(_ method: String, _ path: String, body: JSONValue? = nil) async throws -> (
        code: ErrorCode, msg: String, data: JSONValue
    ) {
        let asked = try await request(method, path, body: body)
        guard asked.code == .confirmationRequired, let token = asked.data["confirm_token"] else { return asked }
        var confirmed = body ?? [:]
        confirmed["confirm_token"] = token
        return try await request(method, path, body: confirmed)
    }

    /// Skips the server's `hello` and returns it.
    mutating func hello() async throws -> ServerFrame.Hello {
        guard case .hello(let hello) = try await receive() else { throw TestFailure("first frame was not hello") }
        return hello
    }
}
