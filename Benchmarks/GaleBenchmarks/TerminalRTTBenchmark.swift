import Foundation
import KubeSim
import NIOCore
import NIOPosix
import NIOWebSocket

/// Keystroke round trips through an `exec` channel: one byte on stream 0, wait for its echo on
/// stream 1. The same is measured straight against KubeSim's exec endpoint (no gateway), so the
/// gateway's share can be told apart from the simulated shell's.
struct TerminalRTTBenchmark {
    var keystrokes = 2000
    var jsonPath: String?

    init(_ arguments: inout BenchArguments) {
        keystrokes = arguments.int("--keystrokes", default: keystrokes)
        jsonPath = arguments.string("--json")
    }

    func run() async throws {
        let cluster = try await BenchCluster.start(
            simulator: .init(seedDemoData: false, podStartDelay: .milliseconds(50), tls: false))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try cluster.createNamespace("bench")
            try cluster.createPod("term-0", namespace: "bench")
            try await cluster.waitForRunning("term-0", namespace: "bench")
            let cpu0 = cluster.gateway.cpuNanoseconds
            let viaGateway = try await gatewayRoundTrips(cluster, group: group)
            let gatewayCPU = cpu0.flatMap { before in cluster.gateway.cpuNanoseconds.map { Double($0 - before) } }
            let direct = try await DirectExec.roundTrips(
                kubeconfig: try cluster.simulator.kubeconfig(), namespace: "bench", pod: "term-0",
                keystrokes: keystrokes)
            let gateway = LatencySummary(nanoseconds: viaGateway)
            let kubesim = LatencySummary(nanoseconds: direct)
            var report = Report("terminal-rtt")
            report.add("keystrokes", "\(keystrokes), one at a time ('a' then DEL, echo awaited on stream 1)")
            report.add("through the gateway", gateway.text)
            report.add("straight to KubeSim", kubesim.text)
            report.add(
                "gateway's share",
                String(format: "p50 +%.3f ms  p99 +%.3f ms", gateway.p50 - kubesim.p50, gateway.p99 - kubesim.p99))
            if let gatewayCPU {
                let perKeystroke = gatewayCPU / 1000 / Double(max(viaGateway.count, 1))
                report.add("gateway CPU", String(format: "%.1f µs per round trip (/proc of its process)", perKeystroke))
                report.set("gateway_cpu_us_per_round_trip", perKeystroke)
            }
            report.set("keystrokes", keystrokes)
            report.set("gateway", gateway)
            report.set("direct", kubesim)
            report.emit(jsonPath: jsonPath)
        } catch {
            await cluster.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        await cluster.stop()
        try? await group.shutdownGracefully()
    }

    private func gatewayRoundTrips(_ cluster: BenchCluster, group: any EventLoopGroup) async throws -> [UInt64] {
        let inbox = MessageInbox()
        let socket = try await LoadSocket.connect(
            group: group, options: cluster.socketOptions(), onMessage: { inbox.put($0) },
            onClose: { _ in inbox.close() })
        defer { socket.channel.close(promise: nil) }
        socket.send(text: cluster.execFrame(id: "rtt", namespace: "bench", pod: "term-0", command: ["sh"]))
        var channel: UInt32?
        while channel == nil {
            guard let message = await inbox.next(timeout: .seconds(20)) else {
                throw LoadSocketError("no answer to exec")
            }
            guard let frame = FrameText.summary(message) else { continue }
            if frame.type == "opened" { channel = frame.channel }
            if frame.type == "error" { throw LoadSocketError("exec refused: \(frame.text)") }
        }
        // The prompt: read until the shell is quiet.
        while await inbox.next(timeout: .milliseconds(300)) != nil {}
        var samples: [UInt64] = []
        samples.reserveCapacity(keystrokes)
        for index in 0..<keystrokes {
            let key: UInt8 = index % 2 == 0 ? 0x61 : 0x7F
            let echo: [UInt8] = key == 0x61 ? [0x61] : [0x08, 0x20, 0x08]
            var frame = ByteBuffer()
            frame.writeInteger(channel!, endianness: .big)
            frame.writeInteger(UInt8(0))
            frame.writeInteger(key)
            let start = Monotonic.nanoseconds()
            socket.send(binary: frame)
            var seen: [UInt8] = []
            while !seen.ends(with: echo) {
                guard let message = await inbox.next(timeout: .seconds(10)) else {
                    throw LoadSocketError("no echo for keystroke \(index)")
                }
                guard message.opcode == .binary, message.data.readableBytes > 5,
                    message.data.getInteger(at: message.data.readerIndex + 4, as: UInt8.self) == 1
                else { continue }
                seen +=
                    message.data.getBytes(at: message.data.readerIndex + 5, length: message.data.readableBytes - 5)
                    ?? []
            }
            samples.append(Monotonic.nanoseconds() - start)
        }
        return samples
    }
}

extension Array where Element: Equatable {
    func ends(with suffix: [Element]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
