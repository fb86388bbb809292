import Foundation
import KubeSim
import NIOCore
import NIOPosix

/// Memory of the gateway per WebSocket: RSS of the gateway's process (`kubegale serve`, nothing
/// else in it) before and after a child process (`hold-sockets`) opens N authenticated sockets,
/// after each subscribes to a watch (snapshot of one ConfigMap received), and after one change has
/// flowed to every socket. Each variant (plain, deflate) runs with a fresh gateway: freed memory
/// is not reliably returned to the system, so variants must not share one. The gateway gives free
/// heap back every second here (`--memory-trim-interval 1`), so readings follow live memory.
struct IdleMemoryBenchmark {
    var sockets = 1000
    var mode = "both"
    var target: String?
    var peerPID: String?
    var peerName = "peer"
    var jsonPath: String?

    init(_ arguments: inout BenchArguments) {
        sockets = arguments.int("--sockets", default: sockets)
        mode = arguments.string("--mode") ?? mode
        target = arguments.string("--target")
        peerPID = arguments.string("--peer-pid")
        peerName = arguments.string("--peer-name") ?? peerName
        jsonPath = arguments.string("--json")
    }

    func run() async throws {
        guard mode == "plain" || mode == "deflate" else {
            for variant in ["plain", "deflate"] {
                var arguments = ["idle-memory", "--mode", variant, "--sockets", String(sockets)]
                if let target, let peerPID {
                    arguments += ["--target", target, "--peer-pid", peerPID, "--peer-name", peerName]
                }
                let child = try ChildProcess(arguments: arguments + (jsonPath.map { ["--json", $0] } ?? []))
                var lines = child.lines.makeAsyncIterator()
                while let line = await lines.next() { print(line) }
                child.wait()
            }
            return
        }
        let deflate = mode == "deflate"
        if let target, let peerPID {
            try await runPeer(target: target, pid: peerPID, deflate: deflate)
            return
        }
        let cluster = try await BenchCluster.start(gateway: .init(memoryTrimSeconds: 1))
        let gatewayPID = String(cluster.gateway.pid)
        do {
            try cluster.createNamespace("bench")
            _ = try cluster.simulator.api.create(
                KubeSim.ResourceCatalog.configMaps, namespace: "bench", object: FanoutBenchmark.configMap(padBytes: 620)
            )
            let subscribe = cluster.watchSubscribe(id: "idle", resource: "configmaps", namespace: "bench")
            let common = ["--port", String(cluster.port), "--token", cluster.token] + (deflate ? ["--deflate"] : [])

            // Warm-up: 20 subscribed sockets that stay open, so the shared watch, the upstream
            // connection and the gateway's lazily built state exist before the baseline.
            let warm = try ChildProcess(arguments: ["hold-sockets", "--sockets", "20"] + common)
            var warmLines = ChildLines(iterator: warm.lines.makeAsyncIterator())
            _ = try await warmLines.expect("ready")
            warm.send("wait-hello")
            _ = try await warmLines.expect("hello")
            warm.send("subscribe \(subscribe)")
            _ = try await warmLines.expect("synced")
            let baseline = await Self.settledRSS(pid: gatewayPID)

            let child = try ChildProcess(arguments: ["hold-sockets", "--sockets", String(sockets)] + common)
            var lines = ChildLines(iterator: child.lines.makeAsyncIterator())
            _ = try await lines.expect("ready")
            child.send("wait-hello")
            let hello = try await lines.expect("hello")
            let connected = await Self.settledRSS(pid: gatewayPID)
            child.send("subscribe \(subscribe)")
            let synced = try await lines.expect("synced")
            let subscribed = await Self.settledRSS(pid: gatewayPID)
            try cluster.simulator.store.modify(KubeSim.ResourceCatalog.configMaps, namespace: "bench", name: "fanout") {
                object in
                object[path: ["data", "bench-i"]] = "1"
                object[path: ["data", "bench-ts"]] = .string(String(Monotonic.nanoseconds()))
            }
            child.send("expect-event")
            let events = try await lines.expect("events")
            let afterEvent = await Self.settledRSS(pid: gatewayPID)
            child.send("quit")
            child.wait()
            warm.send("quit")
            warm.wait()

            let count = Double(sockets)
            func perSocket(_ rss: Int) -> Double { Double(rss - baseline) / count }
            let compressed = hello.contains("compressed=true")
            var report = Report("idle-memory \(mode) sockets=\(sockets)")
            report.add(
                "measured",
                "VmRSS of the gateway's process \(gatewayPID) (kubegale serve alone; clients in a child process), after its malloc_trim")
            report.add(
                "compression",
                deflate ? (compressed ? "permessage-deflate negotiated" : "offered, NOT negotiated") : "off")
            report.add("baseline", "\(baseline) KiB (20 warm sockets open)")
            report.add("connected, idle", "\(connected) KiB: \(Report.kib(perSocket(connected))) per socket")
            report.add(
                "subscribed (snapshot of 1 object)",
                "\(subscribed) KiB: \(Report.kib(perSocket(subscribed))) per socket")
            report.add("after 1 change to each", "\(afterEvent) KiB: \(Report.kib(perSocket(afterEvent))) per socket")
            report.add(
                "client process RSS",
                "\(Self.rss(in: events)) KiB at the end (not counted above); \(synced.split(separator: " ").first ?? "")"
            )
            report.set("server", "gateway")
            report.set("mode", mode)
            report.set("sockets", sockets)
            report.set("compressed", compressed)
            report.set("baseline_kib", baseline)
            report.set("idle_kib_per_socket", perSocket(connected))
            report.set("subscribed_kib_per_socket", perSocket(subscribed))
            report.set("after_event_kib_per_socket", perSocket(afterEvent))
            report.emit(jsonPath: jsonPath)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// The same steps against a broadcast peer (Benchmarks/peers/broadcast.py): its RSS (read
    /// from /proc; it cannot be asked to trim its heap) around N sockets on `/sub` and one event.
    private func runPeer(target: String, pid: String, deflate: Bool) async throws {
        let (host, port) = try FanoutBenchmark.hostAndPort(target)
        let common = ["--port", String(port), "--path", "/sub"] + (deflate ? ["--deflate"] : [])
        let warm = try ChildProcess(arguments: ["hold-sockets", "--sockets", "20"] + common)
        var warmLines = ChildLines(iterator: warm.lines.makeAsyncIterator())
        _ = try await warmLines.expect("ready")
        func rss() async -> Int {
            try? await Task.sleep(for: .seconds(1))
            return ProcessStats.residentKiB(pid: pid) ?? 0
        }
        let baseline = await rss()
        let child = try ChildProcess(arguments: ["hold-sockets", "--sockets", String(sockets)] + common)
        var lines = ChildLines(iterator: child.lines.makeAsyncIterator())
        _ = try await lines.expect("ready")
        child.send("wait-connected")
        let connectedLine = try await lines.expect("connected")
        let connected = await rss()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let publisher = try await LoadSocket.connect(
            group: group, options: .init(host: host, port: port, path: "/pub", subprotocol: nil), onMessage: { _ in })
        publisher.send(text: PeerEvent(padBytes: 620).text(index: 1, time: Monotonic.nanoseconds()))
        child.send("expect-event")
        _ = try await lines.expect("events")
        let afterEvent = await rss()
        child.send("quit")
        child.wait()
        warm.send("quit")
        warm.wait()
        await publisher.close()
        try? await group.shutdownGracefully()

        let count = Double(sockets)
        func perSocket(_ value: Int) -> Double { Double(value - baseline) / count }
        let compressed = connectedLine.contains("compressed=true")
        var report = Report("idle-memory \(peerName) \(mode) sockets=\(sockets)")
        report.add("measured", "VmRSS of the peer process \(pid) (\(peerName)); clients in a child process")
        report.add(
            "compression", deflate ? (compressed ? "permessage-deflate negotiated" : "offered, NOT negotiated") : "off")
        report.add("baseline", "\(baseline) KiB (20 warm sockets open)")
        report.add("connected, idle", "\(connected) KiB: \(Report.kib(perSocket(connected))) per socket")
        report.add("after 1 event to each", "\(afterEvent) KiB: \(Report.kib(perSocket(afterEvent))) per socket")
        report.set("server", peerName)
        report.set("mode", mode)
        report.set("sockets", sockets)
        report.set("compressed", compressed)
        report.set("baseline_kib", baseline)
        report.set("idle_kib_per_socket", perSocket(connected))
        report.set("after_event_kib_per_socket", perSocket(afterEvent))
        report.emit(jsonPath: jsonPath)
    }

    /// RSS of process `pid` once allocations have settled: a pause long enough for the gateway's
    /// once-a-second trim to have handed freed memory back after it.
    static func settledRSS(pid: String) async -> Int {
        try? await Task.sleep(for: .milliseconds(2200))
        return ProcessStats.residentKiB(pid: pid) ?? 0
    }

    static func rss(in line: String) -> Int {
        line.split(separator: " ").first { $0.hasPrefix("rss=") }.flatMap { Int($0.dropFirst(4)) } ?? 0
    }
}
