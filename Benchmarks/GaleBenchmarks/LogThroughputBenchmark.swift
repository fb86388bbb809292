import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import NIOPosix

/// One pod whose simulated container writes many log lines per second, followed three ways for
/// `seconds` each: straight from KubeSim (what there is to deliver), through the gateway's HTTP
/// follow route, and through one `logs` channel of `/ws` (LOG events), one frame per line and
/// with `batch: true` (the lines written together in one `events` frame).
struct LogThroughputBenchmark {
    var seconds = 10.0
    var linesPerSecond = 50_000.0
    var jsonPath: String?

    init(_ arguments: inout BenchArguments) {
        seconds = arguments.double("--seconds") ?? seconds
        linesPerSecond = arguments.double("--lines-per-second") ?? linesPerSecond
        jsonPath = arguments.string("--json")
    }

    /// What one way of following delivered in the measured interval.
    struct Flow {
        var lines = 0
        /// Messages that carried lines (a channel's frames).
        var frames = 0
        var bytes = 0
        var seconds = 0.0
        var note: String?
        /// The gateway's CPU time over the measured interval (from /proc of its process).
        var gatewayCPUNanoseconds: Double?

        var linesPerSecond: Double { Double(lines) / seconds }
        var linesPerFrame: Double { Double(lines) / Double(max(frames, 1)) }
        var gatewayCPUPerLine: Double? { gatewayCPUNanoseconds.map { $0 / 1000 / Double(max(lines, 1)) } }
        var megabytesPerSecond: Double { Double(bytes) / seconds / 1e6 }
        var text: String {
            if let note, lines == 0 { return note }
            return String(format: "%.0f lines/s, %.2f MB/s", linesPerSecond, megabytesPerSecond)
                + (gatewayCPUPerLine.map { String(format: ", gateway CPU %.2f µs per line", $0) } ?? "")
                + (note.map { " (\($0))" } ?? "")
        }
    }

    func run() async throws {
        let cluster = try await BenchCluster.start(
            simulator: .init(
                seedDemoData: false, logLinesPerSecond: linesPerSecond, podStartDelay: .milliseconds(50), tls: false))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try cluster.createNamespace("bench")
            try cluster.createPod("log-0", namespace: "bench", image: "nginx:1.27")
            try await cluster.waitForRunning("log-0", namespace: "bench")
            let direct = try await DirectLogs.follow(
                kubeconfig: try cluster.simulator.kubeconfig(), namespace: "bench", pod: "log-0", seconds: seconds)
            let http = try await followHTTP(cluster)
            let channel = try await followChannel(cluster, group: group)
            let batched = try await followChannel(cluster, group: group, batch: true)
            var report = Report("log-throughput")
            report.add(
                "source",
                String(
                    format: "KubeSim nginx container at %.0f lines/s configured, %.0f s each", linesPerSecond, seconds))
            report.add("straight from KubeSim", direct.text + " (raw log text)")
            report.add("gateway HTTP follow", http.text + " (raw log text)")
            report.add("gateway /ws logs channel", channel.text + " (LOG event frames)")
            report.add(
                "gateway /ws logs channel, batch",
                batched.text + String(format: " (%.1f lines per frame)", batched.linesPerFrame))
            for (key, flow) in [("direct", direct), ("http", http), ("channel", channel), ("batched", batched)] {
                report.set("\(key)_lines_per_s", flow.lines > 0 ? flow.linesPerSecond : .nan)
                report.set("\(key)_mb_per_s", flow.lines > 0 ? flow.megabytesPerSecond : .nan)
                if let cpu = flow.gatewayCPUPerLine { report.set("\(key)_gateway_cpu_us_per_line", cpu) }
                if flow.frames > 0 { report.set("\(key)_lines_per_frame", flow.linesPerFrame) }
                if let note = flow.note { report.set("\(key)_note", note) }
            }
            report.set("configured_lines_per_s", linesPerSecond)
            report.emit(jsonPath: jsonPath)
        } catch {
            await cluster.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        await cluster.stop()
        try? await group.shutdownGracefully()
    }

    private func followHTTP(_ cluster: BenchCluster) async throws -> Flow {
        var request = HTTPClientRequest(
            url: cluster.httpBase
                + "/pods/log-0/logs?cluster_id=\(cluster.clusterID)&namespace=bench&follow=true&tail_lines=0")
        request.headers.add(name: "Authorization", value: "Bearer \(cluster.token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(seconds) + 10))
        guard response.status == .ok, response.headers["Content-Type"].first?.hasPrefix("text/plain") == true else {
            let body = try await response.body.collect(upTo: 1 << 20)
            return Flow(note: "refused: \(response.status.code) \(String(buffer: body).prefix(200))")
        }
        var flow = Flow()
        let start = ContinuousClock.now
        var measuring: ContinuousClock.Instant?
        var cpu0: UInt64?
        for try await chunk in response.body {
            let now = ContinuousClock.now
            if measuring == nil, now - start >= .seconds(1) {
                measuring = now
                cpu0 = cluster.gateway.cpuNanoseconds
            }
            if let measuring {
                flow.bytes += chunk.readableBytes
                flow.lines += chunk.readableBytesView.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                if now - measuring >= .seconds(seconds) {
                    flow.seconds = (now - measuring).seconds
                    flow.gatewayCPUNanoseconds = cpu0.flatMap { before in
                        cluster.gateway.cpuNanoseconds.map { Double($0 - before) }
                    }
                    break
                }
            }
        }
        return flow
    }

    private func followChannel(_ cluster: BenchCluster, group: any EventLoopGroup, batch: Bool = false) async throws
        -> Flow
    {
        let inbox = MessageInbox()
        let socket = try await LoadSocket.connect(
            group: group, options: cluster.socketOptions(), onMessage: { inbox.put($0) },
            onClose: { _ in inbox.close() })
        defer { socket.channel.close(promise: nil) }
        socket.send(text: cluster.logsSubscribe(id: "logs", namespace: "bench", pod: "log-0", batch: batch))
        var subscribed = false
        while !subscribed {
            guard let message = await inbox.next(timeout: .seconds(20)) else {
                return Flow(note: "no answer to subscribe")
            }
            guard let frame = FrameText.summary(message) else { continue }
            if frame.type == "subscribed" { subscribed = true }
            if frame.type == "error" { return Flow(note: "subscribe refused: \(frame.text)") }
        }
        let marker = Array(#""event":"LOG""#.utf8)
        var flow = Flow()
        let start = ContinuousClock.now
        var measuring: ContinuousClock.Instant?
        var cpu0: UInt64?
        while let message = await inbox.next(timeout: .seconds(10)) {
            let now = ContinuousClock.now
            if measuring == nil, now - start >= .seconds(1) {
                measuring = now
                cpu0 = cluster.gateway.cpuNanoseconds
            }
            guard let measuring else { continue }
            let lines = Marker.count(marker, in: message.data)
            if lines > 0 {
                flow.lines += lines
                flow.frames += 1
                flow.bytes += message.data.readableBytes
            }
            if now - measuring >= .seconds(seconds) {
                flow.seconds = (now - measuring).seconds
                flow.gatewayCPUNanoseconds = cpu0.flatMap { before in
                    cluster.gateway.cpuNanoseconds.map { Double($0 - before) }
                }
                break
            }
        }
        if flow.seconds == 0 {
            flow.seconds = (ContinuousClock.now - start).seconds
            flow.note = "the channel went quiet"
        }
        return flow
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
