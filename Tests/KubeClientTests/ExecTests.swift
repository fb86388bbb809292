import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import Testing

@testable import KubeClient

/// Exec over WebSocket against a loopback server that speaks the channel.k8s.io framing.
@Suite("Exec over WebSocket")
struct ExecTests {
    /// Runs an exec endpoint for pod `web-1`; `v5` decides whether the server accepts v5 or only v4;
    /// with `pki` it serves mutual TLS for `kube.internal`.
    static func withExecServer<T: Sendable>(
        v5: Bool, pki: TestPKI? = nil, _ body: @Sendable (KubeClient) async throws -> T
    ) async throws -> T {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws("/api/v1/namespaces/default/pods/web-1/exec") { request, _ in
            let offered = request.headers[.secWebSocketProtocol] ?? ""
            let chosen =
                v5 && offered.contains(KubeClient.execSubprotocolV5)
                ? KubeClient.execSubprotocolV5 : KubeClient.execSubprotocolV4
            guard offered.contains(chosen), request.uri.query?.contains("command=sh") == true else {
                return .dontUpgrade
            }
            return .upgrade([.secWebSocketProtocol: chosen])
        } onUpgrade: { inbound, outbound, _ in
            func send(_ channel: UInt8, _ text: String) async throws {
                var buffer = ByteBuffer(integer: channel)
                buffer.writeString(text)
                try await outbound.write(.binary(buffer))
            }
            // Like the apiserver: an empty frame per channel first, then data.
            try await send(1, "")
            try await send(1, "hello\n")
            try await send(2, "warn\n")
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .binary(var buffer) = message, let channel: UInt8 = buffer.readInteger() else { continue }
                let text = buffer.readString(length: buffer.readableBytes) ?? ""
                switch channel {
                case 0 where text == "exit\n":
                    try await send(3, #"{"metadata":{},"status":"Success"}"#)
                    return
                case 0:
                    try await send(1, "echo: " + text)
                case 4:
                    try await send(1, "resize " + text + "\n")
                case 255:
                    let failure =
                        #"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#
                    try await send(3, failure)
                    return
                default:
                    continue
                }
            }
        }
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            server: try pki.map {
                try .tls(
                    .http1WebSocketUpgrade(webSocketRouter: router),
                    tlsConfiguration: TestAPIServer.tlsConfiguration($0, requireClientCertificate: true))
            } ?? .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: Logger(label: "test-exec", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = portStream.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            defer { group.cancelAll() }
            var target = KubeTarget(server: URL(string: "http://127.0.0.1:\(port)")!)
            if let pki {
                target.server = URL(string: "https://127.0.0.1:\(port)")!
                target.tls = .init(
                    certificateAuthorityPEM: Array(pki.caPEM.utf8), serverName: "kube.internal",
                    clientCertificatePEM: Array(pki.client.certificatePEM.utf8),
                    clientKeyPEM: Array(pki.client.keyPEM.utf8))
            }
            let client = try KubeClient(target: target)
            do {
                let result = try await body(client)
                try await client.shutdown()
                return result
            } catch {
                try await client.shutdown()
                throw error
            }
        }
    }

    static func collect(_ session: ExecSession) async throws -> (stdout: String, stderr: String) {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        for try await chunk in session.output {
            if chunk.stream == .stdout { stdout += chunk.bytes } else { stderr += chunk.bytes }
        }
        return (String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    @Test func v5SessionWithStdinResizeAndExitCode() async throws {
        try await Self.withExecServer(v5: true) { client in
            let session = try await client.exec(
                namespace: "default", pod: "web-1",
                options: .init(command: ["sh", "-c", "cat"], stdin: true, tty: true))
            #expect(session.subprotocol == "v5.channel.k8s.io")
            try await session.write(stdin: Array("hi there\n".utf8))
            try await session.resize(cols: 120, rows: 40)
            try await session.closeStdin()
            let output = try await Self.collect(session)
            #expect(output.stdout == "hello\necho: hi there\nresize {\"Width\":120,\"Height\":40}\n")
            #expect(output.stderr == "warn\n")
            let status = try await session.exitStatus()
            #expect(status.code == 3)
            #expect(status.message?.contains("exit code 3") == true)
        }
    }

    @Test func overMutualTLSWithServerName() async throws {
        let pki = try TestPKI(serverNames: ["kube.internal"], includeIPAddress: false)
        try await Self.withExecServer(v5: true, pki: pki) { client in
            let session = try await client.exec(
                namespace: "default", pod: "web-1", options: .init(command: ["sh"], stdin: true))
            try await session.write(stdin: Array("exit\n".utf8))
            let output = try await Self.collect(session)
            #expect(output.stdout == "hello\n")
            #expect(try await session.exitStatus().code == 0)
        }
    }

    @Test func fallsBackToV4() async throws {
        try await Self.withExecServer(v5: false) { client in
            let session = try await client.exec(
                namespace: "default", pod: "web-1", options: .init(command: ["sh"], stdin: true))
            #expect(session.subprotocol == "v4.channel.k8s.io")
            #expect(!session.supportsStdinClose)
            try await session.write(stdin: Array("exit\n".utf8))
            let output = try await Self.collect(session)
            #expect(output.stdout == "hello\n")
            #expect(try await session.exitStatus() == ExecExitStatus(code: 0))
        }
    }

    @Test func refusedUpgradeCarriesTheStatus() async throws {
        // A plain HTTP server answers the upgrade request with a 404 Status, as the apiserver does for a missing pod.
        try await TestAPIServer(tls: nil, token: "t").run { port, log in
            let client = try KubeClient(
                target: KubeTarget(server: URL(string: "http://127.0.0.1:\(port)")!, credentials: .bearerToken("t")))
            let error = await #expect(throws: KubeError.self) {
                try await client.exec(
                    namespace: "default", pod: "nope", options: .init(command: ["sh"], container: "app"))
            }
            try await client.shutdown()
            #expect(error?.isNotFound == true)
            #expect(error?.message == #"pods "nope" not found"#)
            #expect(log.all.last?.path == "/api/v1/namespaces/default/pods/nope/exec")
            #expect(log.all.last?.query == "command=sh&container=app&stdin=false&stdout=true&stderr=true&tty=false")
            #expect(log.all.last?.authorization == "Bearer t")
        }
    }

    @Test func flowGateHoldsTheReaderBackAtTheWindow() async throws {
        let gate = ExecFlowGate(window: 2)
        await gate.acquire()
        let through = Flag()
        let passed = Task {
            await gate.acquire()
            through.set()
            return true
        }
        // Two chunks outstanding: the connection side is suspended until the reader takes one.
        while !gate.isHoldingBack { await Task.yield() }
        #expect(!through.isSet)
        gate.release()
        #expect(await passed.value)
        let afterOpen = Task {
            await gate.acquire()
            await gate.acquire()
            await gate.acquire()
            return true
        }
        gate.open()
        #expect(await afterOpen.value)
    }

    @Test func chunkedRefusalBodies() {
        let body = Array("6\r\n{\"a\":1\r\n1;ext=x\r\n}\r\n0\r\n\r\n".utf8)
        #expect(ExecUpgradeHandler.dechunked(body) == Array("{\"a\":1}".utf8))
        #expect(ExecUpgradeHandler.dechunked(Array(body.prefix(12))) == nil)
        #expect(ExecUpgradeHandler.dechunked(Array("zz\r\n".utf8)) == nil)
    }

    @Test func exitStatusParsing() throws {
        #expect(try ExecExitStatus.parse(["status": "Success"]).code == 0)
        let nonZero: KubeJSON = [
            "status": "Failure", "reason": "NonZeroExitCode",
            "details": ["causes": [["reason": "ExitCode", "message": "42"]]],
        ]
        #expect(try ExecExitStatus.parse(nonZero).code == 42)
        let other: KubeJSON = [
            "status": "Failure", "message": "container not found (\"x\")", "reason": "BadRequest", "code": 400,
        ]
        let error = #expect(throws: KubeError.self) { try ExecExitStatus.parse(other) }
        #expect(error?.message == "container not found (\"x\")")
    }
}

/// A flag set from one task and read from another. `@unchecked Sendable`: guarded by the lock.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
