import Foundation
import Testing
import TestSupport

@testable import KubeSim

/// Exec as the kubelet serves it, byte by byte over a raw WebSocket: stdin in text and in binary messages on
/// v4 and v5, the base64 and pre-v4 variants, and the hostile cases (oversize frames, unknown streams, bad
/// resize JSON, malformed close signals) answered with a clear close and never a crash.
@Suite(.serialized) struct ExecFidelityTests {
    struct Session: Sendable {
        var transcript: RawWebSocket.Transcript
        /// Binary messages split into (stream, bytes).
        var frames: [(stream: UInt8, bytes: [UInt8])] {
            transcript.binaryMessages.compactMap { message in message.first.map { ($0, Array(message.dropFirst())) } }
        }
        var stdout: String { String(decoding: frames.filter { $0.stream == 1 }.flatMap(\.bytes), as: UTF8.self) }
        var status: JSONValue? { frames.last { $0.stream == 3 }.flatMap { try? JSONValue(parsing: $0.bytes) } }
    }

    static func text(_ stream: UInt8, _ text: String) -> (opcode: UInt8, payload: [UInt8]) {
        (RawWebSocket.text, [stream] + Array(text.utf8))
    }

    static func binary(_ bytes: [UInt8]) -> (opcode: UInt8, payload: [UInt8]) { (RawWebSocket.binary, bytes) }

    func exec(
        _ server: KubeSimServer, pod: String, query: String, protocols: String, frames: [(opcode: UInt8, payload: [UInt8])],
        subresource: String = "exec"
    ) async throws -> Session {
        let url = try #require(server.url.flatMap(URL.init(string:)))
        let transcript = try await RawWebSocket.transcript(
            port: try #require(url.port), host: try #require(url.host),
            path: "/api/v1/namespaces/demo/pods/\(pod)/\(subresource)?\(query)",
            headers: [("Authorization", "Bearer \(server.token)"), ("Sec-WebSocket-Protocol", protocols)], frames: frames)
        return Session(transcript: transcript)
    }

    static func nginxPod(_ server: KubeSimServer) throws -> String {
        let pods = server.store.list(
            ResourceCatalog.pods, filter: .init(namespace: "demo", labelSelector: try LabelSelector(parsing: "app=nginx")))
        return try #require(pods.items.first?[path: ["metadata", "name"]]?.stringValue)
    }

    // MARK: the channel protocol alone

    @Test func channelProtocolsReadTextAndBinaryAlike() {
        #expect(ChannelProtocol.negotiate("v5.channel.k8s.io, v4.channel.k8s.io") == .v5)
        #expect(ChannelProtocol.negotiate("v4.channel.k8s.io,v4.base64.channel.k8s.io") == .v4)
        #expect(ChannelProtocol.negotiate("base64.channel.k8s.io") == .v1Base64)
        #expect(ChannelProtocol.negotiate("v6.channel.k8s.io, SPDY/3.1") == nil)
        #expect(ChannelProtocol.v4.decode([0] + Array("ls\n".utf8)) == .data(stream: 0, bytes: Array("ls\n".utf8)))
        #expect(ChannelProtocol.v4.decode([4] + Array("{}".utf8)) == .data(stream: 4, bytes: Array("{}".utf8)))
        #expect(ChannelProtocol.v4Base64.decode(Array("0bHMK".utf8)) == .data(stream: 0, bytes: Array("ls\n".utf8)))
        #expect(ChannelProtocol.v5.decode([255, 0]) == .closeStream(0))
        // Before v5, 255 is just an unknown stream; in v5 a malformed close ends the connection.
        if case .ignored = ChannelProtocol.v4.decode([255, 0]) {} else { Issue.record("v4 must ignore stream 255") }
        if case .protocolError = ChannelProtocol.v5.decode([255]) {} else { Issue.record("a bare close signal is a protocol error") }
        if case .protocolError = ChannelProtocol.v5.decode([255, 9]) {} else { Issue.record("close of stream 9 is a protocol error") }
        if case .ignored = ChannelProtocol.v5.decode([9, 1, 2]) {} else { Issue.record("stream 9 must be ignored") }
        if case .ignored = ChannelProtocol.v5.decode([1, 1, 2]) {} else { Issue.record("writes to stdout must be ignored") }
        if case .ignored = ChannelProtocol.v5.decode([]) {} else { Issue.record("an empty message must be ignored") }
        if case .ignored = ChannelProtocol.v4Base64.decode(Array("0***".utf8)) {} else { Issue.record("bad base64 must be ignored") }
        #expect(ChannelProtocol.terminalSize(Array(#"{"Width":120,"Height":40}"#.utf8))! == (40, 120))
        #expect(ChannelProtocol.terminalSize(Array("{not json".utf8)) == nil)
        #expect(ChannelProtocol.terminalSize(Array(#"{"Width":-1,"Height":40}"#.utf8)) == nil)
        #expect(ChannelProtocol.terminalSize(Array(#"{"Width":100000,"Height":40}"#.utf8)) == nil)
        #expect(ChannelProtocol.terminalSize(Array(#"["Width",1]"#.utf8)) == nil)
    }

    // MARK: over the wire

    @Test func v4StdinInTextFramesRunsLineByLine() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let session = try await exec(
                server, pod: try Self.nginxPod(server), query: "command=sh&stdin=true&stdout=true&stderr=true",
                protocols: "v4.channel.k8s.io",
                frames: [Self.text(0, "echo from a text frame\n"), Self.binary([0] + Array("echo from binary\n".utf8)), Self.text(0, "exit 4\n")])
            #expect(session.transcript.closeCode == 1000)
            #expect(session.stdout == "from a text frame\nfrom binary\n")
            #expect(session.status?["reason"] == "NonZeroExitCode")
            #expect(session.status?[path: ["details", "causes"]]?.arrayValue?.first?["message"] == "4")
        }
    }

    @Test func v5StdinInTextAndBinaryFramesEndsOnTheCloseSignal() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let session = try await exec(
                server, pod: try Self.nginxPod(server), query: "command=cat&stdin=true&stdout=true&stderr=true",
                protocols: "v5.channel.k8s.io,v4.channel.k8s.io",
                frames: [Self.text(0, "text é "), Self.binary([0] + Array("binary".utf8)), Self.binary([255, 0])])
            #expect(session.stdout == "text é binary")
            #expect(session.status == ["metadata": .object([:]), "status": "Success"])
        }
    }

    /// What the Python client's e2e test sends: several stdin messages and the close signal right behind them,
    /// written without waiting for any answer; cat echoes all of it before it ends.
    @Test func v5StdinSentRightBeforeTheCloseSignalIsAllEchoed() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try Self.nginxPod(server)
            for round in 0..<5 {
                let session = try await exec(
                    server, pod: pod, query: "command=cat&stdin=true&stdout=true&stderr=true",
                    protocols: "v5.channel.k8s.io,v4.channel.k8s.io",
                    frames: [
                        Self.text(0, "text frame "), Self.binary([0] + Array("binary frame é".utf8)),
                        Self.text(0, "unicode é中 \(round)"), Self.binary([255, 0]),
                    ])
                #expect(session.stdout == "text frame binary frame éunicode é中 \(round)")
                #expect(session.status == ["metadata": .object([:]), "status": "Success"])
                #expect(session.transcript.closeCode == 1000)
            }
        }
    }

    @Test func base64ProtocolWritesDigitPrefixedTextMessages() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let script = Data("echo encoded\nexit\n".utf8).base64EncodedString()
            let session = try await exec(
                server, pod: try Self.nginxPod(server), query: "command=sh&stdin=true&stdout=true",
                protocols: "v4.base64.channel.k8s.io", frames: [(RawWebSocket.text, Array(("0" + script).utf8))])
            #expect(session.transcript.binaryMessages.isEmpty)
            #expect(session.transcript.texts.first == "1" + Data("encoded\n".utf8).base64EncodedString())
            let status = try #require(session.transcript.texts.last { $0.hasPrefix("3") })
            #expect(try JSONValue(parsing: Data(base64Encoded: String(status.dropFirst()))!)["status"] == "Success")
        }
    }

    @Test func preV4ProtocolReportsAFailureAsPlainText() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try Self.nginxPod(server)
            let failing = try await exec(
                server, pod: pod, query: "command=sh&command=-c&command=exit%202&stdout=true", protocols: "channel.k8s.io", frames: [])
            let error = try #require(failing.frames.last { $0.stream == 3 })
            #expect(String(decoding: error.bytes, as: UTF8.self).hasPrefix("command terminated with non-zero exit code"))
            let succeeding = try await exec(server, pod: pod, query: "command=true&stdout=true", protocols: "channel.k8s.io", frames: [])
            #expect(succeeding.frames.allSatisfy { $0.stream != 3 })
            #expect(succeeding.transcript.closeCode == 1000)
        }
    }

    // MARK: hostile input

    @Test func unknownStreamsAndBadResizeMessagesAreDroppedAndTheSessionGoesOn() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let session = try await exec(
                server, pod: try Self.nginxPod(server), query: "command=sh&stdin=true&stdout=true&tty=true",
                protocols: "v5.channel.k8s.io",
                frames: [
                    Self.binary([9] + Array("to nowhere".utf8)), Self.binary([1] + Array("to stdout".utf8)), Self.binary([]),
                    Self.binary([4] + Array("{not json".utf8)), Self.binary([4] + Array(#"{"Width":-5,"Height":2}"#.utf8)),
                    Self.binary([4] + Array(#"{"Width":0,"Height":0}"#.utf8)), Self.text(0, "stty size\rexit\r"),
                ])
            // (A good resize is applied: ExecProtocolTests sends one before its input.)
            #expect(session.stdout.contains("24 80\r\n"), "bad resize messages must leave the size as it was")
            #expect(!session.stdout.contains("to nowhere"))
            #expect(session.status?["status"] == "Success")
        }
    }

    @Test func malformedCloseSignalEndsTheSessionWithAProtocolError() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try Self.nginxPod(server)
            for bad: [UInt8] in [[255], [255, 0, 0], [255, 200]] {
                let session = try await exec(
                    server, pod: pod, query: "command=cat&stdin=true&stdout=true", protocols: "v5.channel.k8s.io", frames: [Self.binary(bad)])
                #expect(session.transcript.closeCode == 1002, "close signal \(bad)")
            }
            #expect(await SimFixture.eventually { server.openExecSessions == 0 })
        }
    }

    @Test func oversizeFrameClosesWith1009AndTheServerStaysUp() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try Self.nginxPod(server)
            let big = try await exec(
                server, pod: pod, query: "command=cat&stdin=true&stdout=true", protocols: "v5.channel.k8s.io",
                frames: [Self.binary([0] + [UInt8](repeating: 0x61, count: (1 << 20) + 1))])
            #expect(big.transcript.closeCode == 1009)
            let after = try await exec(
                server, pod: pod, query: "command=echo&command=still%20here&stdout=true", protocols: "v5.channel.k8s.io", frames: [])
            #expect(after.stdout == "still here\n")
        }
    }
}
