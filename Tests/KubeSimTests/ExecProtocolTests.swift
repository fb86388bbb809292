import Foundation
import KubeSim
import Testing
import TestSupport

/// The exec WebSocket protocols byte by byte: stream prefixes, v5 close signal, status on stream 3.
@Suite(.serialized) struct ExecProtocolTests {
    struct Result: Sendable {
        var frames: [(stream: UInt8, bytes: [UInt8])] = []
        var stdout: String { String(decoding: frames.filter { $0.stream == 1 }.flatMap(\.bytes), as: UTF8.self) }
        var status: JSONValue? { frames.last { $0.stream == 3 }.flatMap { try? JSONValue(parsing: $0.bytes) } }
    }

    /// Opens an exec with `protocols`, sends `send` as binary messages once upgraded, and
    /// collects every frame until the server closes. Read with the raw client: a short command's
    /// whole session arrives right behind the `101`.
    func exec(_ server: KubeSimServer, pod: String, query: String, protocols: String, send: [[UInt8]]) async throws -> Result {
        let url = try #require(server.url.flatMap(URL.init(string:)))
        let transcript = try await RawWebSocket.transcript(
            port: try #require(url.port), host: try #require(url.host),
            path: "/api/v1/namespaces/demo/pods/\(pod)/exec?\(query)",
            headers: [("Authorization", "Bearer \(server.token)"), ("Sec-WebSocket-Protocol", protocols)],
            binary: send)
        var result = Result()
        for message in transcript.binaryMessages {
            guard let stream = message.first else { continue }
            result.frames.append((stream, Array(message.dropFirst())))
        }
        return result
    }

    @Test func v5StdinCloseSignalAndExitStatus() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try #require(server.store.list(ResourceCatalog.pods, filter: .init(namespace: "demo", labelSelector: try LabelSelector(parsing: "app=nginx"))).items.first?[path: ["metadata", "name"]]?.stringValue)
            let catResult = try await exec(
                server, pod: pod, query: "command=cat&stdin=true&stdout=true&stderr=true", protocols: "v5.channel.k8s.io,v4.channel.k8s.io",
                send: [[0] + Array("streamed".utf8), [255, 0]])
            #expect(catResult.stdout == "streamed")
            #expect(catResult.status == ["metadata": .object([:]), "status": "Success"])
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
