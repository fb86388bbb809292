import Foundation
import HTTPTypes
import KubeSim
import Logging
import NIOCore
import Testing
import WSClient

/// The exec WebSocket protocols byte by byte: stream prefixes, v5 close signal, status on stream 3.
@Suite(.serialized) struct ExecProtocolTests {
    struct Result: Sendable {
        var frames: [(stream: UInt8, bytes: [UInt8])] = []
        var stdout: String { String(decoding: frames.filter { $0.stream == 1 }.flatMap(\.bytes), as: UTF8.self) }
        var status: JSONValue? { frames.last { $0.stream == 3 }.flatMap { try? JSONValue.parse($0.bytes) } }
    }

    func exec(_ server: KubeSimServer, pod: String, query: String, protocols: String, send: [[UInt8]]) async throws -> Result {
        let url = server.url!.replacingOccurrences(of: "http", with: "ws") + "/api/v1/namespaces/demo/pods/\(pod)/exec?\(query)"
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(server.token)"
        headers[.secWebSocketProtocol] = protocols
        let collected = LockedBox(Result())
        let requestHeaders = headers
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                throw CancellationError()
            }
            group.addTask {
                try await connect(url: url, headers: requestHeaders, send: send, collected: collected)
            }
            try await group.next()
            group.cancelAll()
        }
        return collected.read { $0 }
    }

    @Sendable func connect(url: String, headers: HTTPFields, send: [[UInt8]], collected: LockedBox<Result>) async throws {
        try await WebSocketClient.connect(
            url: url, configuration: .init(additionalHeaders: headers), logger: Logger(label: "test")
        ) { inbound, outbound, _ in
            for message in send { try await outbound.write(.binary(ByteBuffer(bytes: message))) }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .binary(var buffer) = message, let stream: UInt8 = buffer.readInteger() else { continue }
                let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
                collected.update { $0.frames.append((stream, bytes)) }
            }
        }
    }

    @Test func v5StdinCloseSignalAndExitStatus() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try #require(server.store.list(ResourceCatalog.pods, filter: .init(namespace: "demo", labelSelector: try LabelSelector(parsing: "app=nginx"))).items.first?[path: ["metadata", "name"]]?.stringValue)
            let catResult = try await exec(
                server, pod: pod, query: "command=cat&stdin=true&stdout=true&stderr=true", protocols: "v5.channel.k8s.io,v4.channel.k8s.io",
                send: [[0] + Array("streamed".utf8), [255, 0]])
            #expect(catResult.stdout == "streamed")
            #expect(catResult.status == ["metadata": .emptyObject, "status": "Success"])
            let failing = try await exec(
                server, pod: pod, query: "command=sh&command=-c&command=exit%205&stdout=true&stderr=true", protocols: "v4.channel.k8s.io",
                send: [])
            #expect(failing.status?["reason"] == "NonZeroExitCode")
            #expect(failing.status?[path: ["details", "causes"]]?.arrayValue?.first?["message"] == "5")
            let tty = try await exec(
                server, pod: pod, query: "command=sh&stdin=true&stdout=true&tty=true", protocols: "v5.channel.k8s.io",
                send: [[4] + Array(#"{"Width":100,"Height":30}"#.utf8), [0] + Array("stty size\rexit\r".utf8)])
            #expect(tty.stdout.contains("30 100\r\n"))
        }
    }
}
