import Foundation
import GaleJSON
import HTTPTypes
import KubeClient
import KubeSim
import Synchronization
import Testing

@testable import GaleGateway

extension TerminalTests {
    /// The exec bridge against KubeSim, without a socket; and the terminal socket's parsing.
    ///
    /// Commands start with `sleep 0.2`: KubeClient's exec connection sometimes loses output that
    /// arrives in the same read as the `101 Switching Protocols` (see the report of this change).
    @Suite("ExecBridge and terminal input", .timeLimit(.minutes(2)))
    struct Bridge {
        @Test("a stalled sink stops the command's output upstream; it flows again when the sink accepts")
        func backpressure() async throws {
            try await SimCluster.with { cluster in
                let pod = try await cluster.runningPod(label: "app=nginx")
                try await cluster.withSimClient { client in
                    let target = ExecBridge.Target(
                        namespace: "demo", pod: pod, command: ["sh", "-c", "sleep 0.2; yes"], tty: false, stdin: false)
                    let bridge = try await ExecBridge.open(
                        client: client, target: target, configuration: .init(idleTimeout: nil))
                    let sink = StallingSink()
                    let pumping = Task { try await bridge.pump { _, bytes in await sink.accept(bytes) } }

                    let stalled = try await Self.settled { cluster.simulator.execOutputBytes }
                    #expect(sink.chunks == 1, "the bridge read ahead of its sink")
                    #expect(stalled > sink.bytes, "nothing was produced beyond the first chunk")
                    #expect(stalled < 64 << 20, "output was buffered without bound: \(stalled) bytes")

                    sink.release()
                    #expect(try await eventually { sink.bytes > stalled })
                    await bridge.close()
                    #expect(try await pumping.value == .closed)
                    #expect(try await eventually { cluster.simulator.openExecSessions == 0 })
                }
            }
        }

        @Test("a bridge without input or output for the idle timeout closes itself and the exec")
        func idleTimeout() async throws {
            try await SimCluster.with { cluster in
                let pod = try await cluster.runningPod(label: "app=nginx")
                try await cluster.withSimClient { client in
                    let target = ExecBridge.Target(
                        namespace: "demo", pod: pod, command: ["sh"], tty: true, cols: 100, rows: 30)
                    let bridge = try await ExecBridge.open(
                        client: client, target: target, configuration: .init(idleTimeout: .seconds(3)))
                    let output = Mutex("")
                    let started = ContinuousClock.now
                    let pumping = Task {
                        try await bridge.pump { _, bytes in
                            output.withLock { $0 += String(decoding: bytes, as: UTF8.self) }
                            return true
                        }
                    }
                    // Activity keeps it open past the timeout: for 4 s, each command is sent once the
                    // shell has answered the one before (the output is activity too; a loaded machine
                    // may take a second to answer, well within the timeout).
                    var sent = 0
                    while ContinuousClock.now - started < .seconds(4) {
                        sent += 1
                        let marker = "mark-\(sent)"
                        try await bridge.stdin(Array("echo \(marker)\r".utf8))
                        #expect(try await eventually { output.withLock { $0 }.contains("\(marker)\r\n") })
                    }
                    try await bridge.stdin(Array("stty size\r".utf8))
                    #expect(try await pumping.value == .idle)
                    #expect(ContinuousClock.now - started >= .seconds(7))
                    #expect(output.withLock { $0 }.contains("30 100\r\n"))
                    #expect(try await eventually { cluster.simulator.openExecSessions == 0 })
                }
            }
        }

        @Test("exit codes come from the channel-3 status; stderr is stream 2 without a tty")
        func exitCodeAndStreams() async throws {
            try await SimCluster.with { cluster in
                let pod = try await cluster.runningPod(label: "app=nginx")
                try await cluster.withSimClient { client in
                    let target = ExecBridge.Target(
                        namespace: "demo", pod: pod,
                        command: ["sh", "-c", "sleep 0.2; echo out; echo err >&2; exit 7"],
                        tty: false, stdin: false)
                    let bridge = try await ExecBridge.open(client: client, target: target)
                    let streams = Mutex<[UInt8: String]>([:])
                    let ending = try await bridge.pump { stream, bytes in
                        streams.withLock { $0[stream, default: ""] += String(decoding: bytes, as: UTF8.self) }
                        return true
                    }
                    #expect(ending.exitCode == 7)
                    #expect(streams.withLock { $0 } == [1: "out\n", 2: "err\n"])

                    let missing = ExecBridge.Target(
                        namespace: "demo", pod: "no-such-pod", command: ["sh"], tty: true)
                    await #expect(throws: KubeError.self) {
                        try await ExecBridge.open(client: client, target: missing)
                    }
                }
            }
        }

        @Test("terminal input: resize objects, everything else stdin")
        func terminalInput() {
            #expect(TerminalInput(text: #"{"type":"resize","cols":120,"rows":40}"#) == .resize(cols: 120, rows: 40))
            #expect(TerminalInput(text: #" {"cols":80,"rows":24}"#) == .stdin(Array(#" {"cols":80,"rows":24}"#.utf8)))
            #expect(TerminalInput(text: #"{"cols":80,"rows":24}"#) == .resize(cols: 80, rows: 24))
            #expect(TerminalInput(text: #"{"cols":0,"rows":99999}"#) == .resize(cols: 1, rows: 10_000))
            #expect(TerminalInput(text: #"{"type":"input","cols":1,"rows":1}"#).isStdin)
            #expect(TerminalInput(text: #"{"cols":"80","rows":24}"#).isStdin)
            #expect(TerminalInput(text: #"{"cols":80}"#).isStdin)
            #expect(TerminalInput(text: "ls -l\r") == .stdin(Array("ls -l\r".utf8)))
            #expect(TerminalInput(binary: [0x7B, 0x7D]) == .stdin([0x7B, 0x7D]))
        }

        @Test("request origin: Host, X-Forwarded-Host/-Proto, and hosts that are not hosts")
        func requestOrigin() {
            func origin(_ authority: String?, _ fields: HTTPFields = [:], overTLS: Bool = false) -> String? {
                RequestOrigin(
                    HTTPRequest(method: .get, scheme: "http", authority: authority, path: "/", headerFields: fields),
                    overTLS: overTLS
                )?.webSocketOrigin
            }
            #expect(origin("console.test:8080") == "ws://console.test:8080")
            #expect(origin("[::1]:8080") == "ws://[::1]:8080")
            #expect(origin(nil) == nil)
            #expect(origin("a b") == nil)
            var forwarded = HTTPFields()
            forwarded[.xForwardedHost] = "gale.example.com, inner.proxy"
            forwarded[.xForwardedProto] = "HTTPS"
            #expect(origin("10.0.0.5:8080", forwarded) == "wss://gale.example.com")
            var protoOnly = HTTPFields()
            protoOnly[.xForwardedProto] = "http"
            #expect(origin("gale.test", protoOnly) == "ws://gale.test")
            // The gateway's own TLS: the HTTP/1 codec says "http", the connection was https.
            #expect(origin("gale.test:8443", overTLS: true) == "wss://gale.test:8443")
            #expect(origin("gale.test", protoOnly, overTLS: true) == "ws://gale.test")
            #expect(PodOperations.webSocketOrigin(host: "::1", port: 8443, secure: true) == "wss://[::1]:8443")
            #expect(PodOperations.webSocketOrigin(host: "127.0.0.1", port: 8080, secure: false) == "ws://127.0.0.1:8080")
        }

        /// Samples `value` until it stays the same for half a second; returns it.
        static func settled(_ value: () -> Int) async throws -> Int {
            var last = value()
            var unchanged = 0
            // Generous: on a loaded machine the simulated `yes` may take a minute to fill the buffers.
            let deadline = ContinuousClock.now + .seconds(90)
            while unchanged < 5 {
                guard ContinuousClock.now < deadline else { throw TestFailure("output never stalled") }
                try await Task.sleep(for: .milliseconds(100))
                let current = value()
                unchanged = current == last ? unchanged + 1 : 0
                last = current
            }
            return last
        }
    }
}

extension SimCluster {
    /// A KubeClient of the simulator itself (not through the gateway), shut down after `body`.
    func withSimClient(_ body: (KubeClient) async throws -> Void) async throws {
        let client = try KubeClient(target: try Kubeconfig(yaml: try simulator.kubeconfig()).resolve())
        do {
            try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}

extension TerminalInput {
    fileprivate var isStdin: Bool {
        if case .stdin = self { return true }
        return false
    }
}

/// A sink that takes the first chunk, then holds the bridge until ``release()``.
final class StallingSink: Sendable {
    private let state = Mutex((chunks: 0, bytes: 0))
    private let gate = AsyncStream<Void>.makeStream()

    var chunks: Int { state.withLock { $0.chunks } }
    var bytes: Int { state.withLock { $0.bytes } }

    func accept(_ bytes: [UInt8]) async -> Bool {
        let first = state.withLock { state in
            state.chunks += 1
            state.bytes += bytes.count
            return state.chunks == 1
        }
        if first {
            for await _ in gate.stream { break }
        }
        return true
    }

    func release() {
        gate.continuation.finish()
    }
}
