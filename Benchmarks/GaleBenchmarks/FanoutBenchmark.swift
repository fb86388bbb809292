import Foundation
import KubeSim
import NIOCore
import NIOPosix

/// One event stream broadcast to many sockets: deliveries per second and the latency from the
/// write of a change to its receipt by each client.
///
/// Against the gateway (default: `kubegale serve` in a process of its own), every socket
/// subscribes to a watch of the ConfigMaps of namespace `bench` (one shared upstream watch) and
/// the benchmark modifies one ~1 KiB ConfigMap straight in the in-process KubeSim, with its index
/// and the write time in its data. Against a
/// peer (`--target ws://HOST:PORT`, see Benchmarks/peers/broadcast.py) the sockets connect to
/// `/sub` and the same JSON is published on `/pub`. The clients and the pacing are the same.
///
/// Pacing: by default at most `window` events are in flight (written but not yet received by
/// every socket), which measures throughput; `--rate R` writes R events per second instead,
/// which measures latency at a steady load.
///
/// CPU per delivery is read from `/proc` for three parts: the server's process (gateway or peer),
/// the client event loop threads, and the rest of this process (the producer: KubeSim and its
/// writes for the gateway, the `/pub` socket for a peer).
struct FanoutBenchmark {
    var sockets = 1000
    var deflate = false
    var serverNoContextTakeover = false
    var events = 200
    var warmup = 20
    var window = 32
    var rate: Double?
    var clientThreads = 1
    var target: String?
    var peerPID: String?
    var peerName = "peer"
    var padBytes = 620
    var jsonPath: String?

    init(_ arguments: inout BenchArguments) {
        sockets = arguments.int("--sockets", default: sockets)
        deflate = arguments.flag("--deflate")
        serverNoContextTakeover = arguments.flag("--server-no-context-takeover")
        events = arguments.int("--events", default: events)
        warmup = arguments.int("--warmup", default: warmup)
        window = arguments.int("--window", default: window)
        rate = arguments.double("--rate")
        clientThreads = arguments.int("--client-threads", default: clientThreads)
        target = arguments.string("--target")
        peerPID = arguments.string("--peer-pid")
        peerName = arguments.string("--peer-name") ?? peerName
        padBytes = arguments.int("--pad", default: padBytes)
        jsonPath = arguments.string("--json")
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: clientThreads)
        let recorder = FanoutRecorder(warmup: warmup, expectedSamples: events * sockets)
        var cluster: BenchCluster?
        var socketsOpen: [LoadSocket] = []
        do {
            let publish: @Sendable (UInt64, UInt64) throws -> Void
            let serverName: String
            let serverPID: String?
            if let target {
                let (host, port) = try Self.hostAndPort(target)
                var options = LoadSocket.Options(
                    host: host, port: port, path: "/sub", deflate: deflate, subprotocol: nil)
                options.serverNoContextTakeover = serverNoContextTakeover
                socketsOpen = try await Self.connect(sockets, group: group, options: options, recorder: recorder) { _ in
                }
                for _ in socketsOpen { recorder.markReady() }
                let publisher = try await LoadSocket.connect(
                    group: group, options: .init(host: host, port: port, path: "/pub", subprotocol: nil),
                    onMessage: { _ in })
                socketsOpen.append(publisher)
                try await Task.sleep(for: .milliseconds(300))
                let template = PeerEvent(padBytes: padBytes)
                publish = { index, time in publisher.send(text: template.text(index: index, time: time)) }
                serverName = peerName
                serverPID = peerPID
            } else {
                let started = try await BenchCluster.start()
                cluster = started
                try started.createNamespace("bench")
                _ = try started.simulator.api.create(
                    KubeSim.ResourceCatalog.configMaps, namespace: "bench", object: Self.configMap(padBytes: padBytes))
                var options = started.socketOptions(deflate: deflate)
                options.serverNoContextTakeover = serverNoContextTakeover
                let subscribe = started.watchSubscribe(id: "fanout", resource: "configmaps", namespace: "bench")
                socketsOpen = try await Self.connect(sockets, group: group, options: options, recorder: recorder) {
                    socket in
                    socket.send(text: subscribe)
                }
                guard await recorder.waitForReady(sockets, timeout: .seconds(120)) else {
                    throw LoadSocketError("only \(recorder.ready) of \(sockets) subscriptions synced")
                }
                let store = started.simulator.store
                publish = { index, time in
                    try store.modify(KubeSim.ResourceCatalog.configMaps, namespace: "bench", name: "fanout") { object in
                        object[path: ["data", "bench-i"]] = .string(String(index))
                        object[path: ["data", "bench-ts"]] = .string(String(time))
                        object[path: ["data", "nonce"]] = .string(EventPad.nonce())
                    }
                }
                serverName = "gateway"
                serverPID = String(started.gateway.pid)
            }
            let compressed = socketsOpen.first?.compressed ?? false
            try await measure(
                publish: publish, recorder: recorder, group: group, serverName: serverName, serverPID: serverPID,
                compressed: compressed)
        } catch {
            await Self.closeAll(socketsOpen)
            await cluster?.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        await Self.closeAll(socketsOpen)
        await cluster?.stop()
        try? await group.shutdownGracefully()
    }

    private func measure(
        publish: @Sendable (UInt64, UInt64) throws -> Void, recorder: FanoutRecorder,
        group: MultiThreadedEventLoopGroup,
        serverName: String, serverPID: String?, compressed: Bool
    ) async throws {
        let count = sockets
        for index in 1...max(warmup, 1) where warmup > 0 {
            let allowed = (index - 1 - window) * count
            if allowed > 0 { await recorder.waitForReceived(allowed) }
            try publish(UInt64(index), Monotonic.nanoseconds())
        }
        guard await recorder.waitForReceived(warmup * count, patience: .seconds(15)) else {
            throw LoadSocketError("warm-up: \(recorder.received) of \(warmup * count) deliveries arrived")
        }

        let clientCPU0 = await Self.loopCPU(group)
        let processCPU0 = Monotonic.processCPUNanoseconds()
        let serverCPU0 = serverPID.flatMap { ProcessStats.cpuNanoseconds(pid: $0) }
        let start = Monotonic.nanoseconds()
        let clock = ContinuousClock()
        let startInstant = clock.now
        for offset in 0..<events {
            let index = warmup + offset + 1
            if let rate {
                try await clock.sleep(until: startInstant + .nanoseconds(Int64(Double(offset) / rate * 1e9)))
            } else {
                let allowed = (index - 1 - window) * count
                if allowed > 0 { await recorder.waitForReceived(allowed) }
            }
            try publish(UInt64(index), Monotonic.nanoseconds())
        }
        let complete = await recorder.waitForReceived((warmup + events) * count, patience: .seconds(15))
        let clientCPU = await Self.loopCPU(group) - clientCPU0
        let processCPU = Monotonic.processCPUNanoseconds() - processCPU0
        let serverCPU1 = serverPID.flatMap { ProcessStats.cpuNanoseconds(pid: $0) }
        let serverCPU = serverCPU0.flatMap { before in serverCPU1.map { Double($0 - before) } }

        let result = recorder.snapshot()
        let seconds = Double(result.lastReceivedAt &- start) / 1e9
        let deliveriesPerSecond = Double(result.measured) / seconds
        let latency = LatencySummary(nanoseconds: result.latencies)
        let producerCPU = Double(processCPU) - Double(clientCPU)
        let perDelivery = { (nanoseconds: Double) in nanoseconds / 1000 / Double(max(result.measured, 1)) }
        let mode =
            rate.map { String(format: "fixed rate %.0f events/s (%.0f deliveries/s offered)", $0, $0 * Double(count)) }
            ?? "window \(window) events in flight"

        var report = Report("fanout \(serverName) sockets=\(count) deflate=\(deflate)")
        report.add("server", "\(serverName) (process \(serverPID ?? "unknown"))")
        report.add("load", "\(count) sockets, \(events) events after \(warmup) warm-up, \(mode)")
        report.add(
            "compression", deflate ? (compressed ? "permessage-deflate negotiated" : "offered, NOT negotiated") : "off")
        report.add(
            "deliveries",
            "\(result.measured) of \(events * count)\(complete ? "" : " (INCOMPLETE)") in \(String(format: "%.2f", seconds)) s = \(Report.rate(deliveriesPerSecond))"
        )
        report.add("latency write→client", latency.text)
        let payload = result.measured > 0 ? Double(result.payloadBytes) / Double(result.measured) : .nan
        let wire = result.measured > 0 ? Double(result.wireBytes) / Double(result.measured) : .nan
        report.add("message size", String(format: "%.0f B payload, %.0f B on the wire", payload, wire))
        if let serverCPU {
            report.add(
                "server CPU",
                String(
                    format: "%.1f µs per delivery, %.0f%% of one core (/proc of its process)", perDelivery(serverCPU),
                    serverCPU / 1e7 / seconds))
        }
        report.add(
            "client CPU",
            String(
                format: "%.1f µs per delivery, %.0f%% of one core (%ld loop threads)", perDelivery(Double(clientCPU)),
                Double(clientCPU) / 1e7 / seconds, clientThreads))
        report.add(
            "producer CPU",
            String(
                format: "%.1f µs per delivery, %.0f%% of one core", perDelivery(producerCPU),
                producerCPU / 1e7 / seconds) + (target == nil ? " (KubeSim and its writes)" : " (the /pub socket)"))
        if result.closed > 0 { report.add("closed sockets", "\(result.closed) codes \(result.closeCodes)") }
        report.set("server", serverName)
        report.set("sockets", count)
        report.set("deflate", deflate)
        report.set("compressed", compressed)
        report.set("events", events)
        report.set("rate", rate ?? 0)
        report.set("window", window)
        report.set("deliveries", result.measured)
        report.set("expected", events * count)
        report.set("complete", complete)
        report.set("seconds", seconds)
        report.set("deliveries_per_s", deliveriesPerSecond)
        report.set("latency", latency)
        report.set("payload_bytes", payload)
        report.set("wire_bytes", wire)
        if let serverCPU { report.set("server_cpu_us_per_delivery", perDelivery(serverCPU)) }
        report.set("client_cpu_us_per_delivery", perDelivery(Double(clientCPU)))
        report.set("producer_cpu_us_per_delivery", perDelivery(producerCPU))
        report.set("closed", result.closed)
        report.emit(jsonPath: jsonPath)
    }

    /// Connects `count` sockets, 64 at a time; `then` runs on each once it is open.
    static func connect(
        _ count: Int, group: any EventLoopGroup, options: LoadSocket.Options, recorder: FanoutRecorder,
        then: @escaping @Sendable (LoadSocket) -> Void
    ) async throws -> [LoadSocket] {
        try await connect(
            count, group: group, options: options, onMessage: { recorder.record($0) },
            onClose: { recorder.socketClosed(code: $0) }, then: then)
    }

    /// Connects `count` sockets, 64 at a time, each reporting to `onMessage`.
    static func connect(
        _ count: Int, group: any EventLoopGroup, options: LoadSocket.Options, onMessage: @escaping LoadSocket.OnMessage,
        onClose: @escaping @Sendable (UInt16?) -> Void, then: @escaping @Sendable (LoadSocket) -> Void
    ) async throws -> [LoadSocket] {
        try await withThrowingTaskGroup(of: LoadSocket.self) { tasks in
            var opened: [LoadSocket] = []
            opened.reserveCapacity(count)
            for index in 0..<count {
                if index >= 64, let socket = try await tasks.next() { opened.append(socket) }
                tasks.addTask {
                    let socket = try await LoadSocket.connect(
                        group: group, options: options, onMessage: onMessage, onClose: onClose)
                    then(socket)
                    return socket
                }
            }
            for try await socket in tasks { opened.append(socket) }
            return opened
        }
    }

    static func closeAll(_ sockets: [LoadSocket]) async {
        for socket in sockets { socket.channel.close(promise: nil) }
        for socket in sockets { try? await socket.channel.closeFuture.get() }
    }

    /// CPU time spent so far by the client event loop threads.
    static func loopCPU(_ group: MultiThreadedEventLoopGroup) async -> UInt64 {
        var total: UInt64 = 0
        for loop in group.makeIterator() {
            total += (try? await loop.submit { Monotonic.threadCPUNanoseconds() }.get()) ?? 0
        }
        return total
    }

    static func hostAndPort(_ url: String) throws -> (String, Int) {
        guard let components = URLComponents(string: url), let host = components.host, let port = components.port else {
            throw LoadSocketError("--target wants ws://HOST:PORT, got \(url)")
        }
        return (host, port)
    }

    /// The ConfigMap the benchmark modifies: index, write time, and padding to ~1 KiB.
    static func configMap(padBytes: Int) -> KubeSim.JSONValue {
        [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": "fanout", "namespace": "bench", "labels": ["app": "bench"]],
            "data": [
                "bench-i": "0", "bench-ts": "0", "nonce": .string(EventPad.nonce()),
                "pad": .string(EventPad.text(padBytes)),
            ],
        ]
    }
}

/// The event a peer broadcasts: the gateway's `event` frame for the benchmark's ConfigMap, with
/// the same members and about the same size.
struct PeerEvent: Sendable {
    private let head: String
    private let middle: String
    private let tail: String

    init(padBytes: Int) {
        head = #"{"channel":1,"event":"MODIFIED","object":{"apiVersion":"v1","data":{"bench-i":""#
        middle = #"","bench-ts":""#
        tail =
            #"","pad":""# + EventPad.text(padBytes)
            + #""},"kind":"ConfigMap","metadata":{"creationTimestamp":"2026-11-25T17:00:00Z","labels":{"app":"bench"},"name":"fanout","namespace":"bench","resourceVersion":"1042","uid":"6f1c2a9e-0d6b-4c31-a2e4-f5061728394a"}},"resourceVersion":"1042","seq":21,"type":"event"}"#
    }

    func text(index: UInt64, time: UInt64) -> String {
        head + String(index) + middle + String(time) + #"","nonce":""# + EventPad.nonce() + tail
    }
}

/// The filler of the benchmark's ConfigMap, so that events compress like real objects do rather
/// than like repeated bytes: a fixed part that reads like object text (about 2:1 alone) and a
/// part that changes with every event (128 random hex digits), as status fields and versions do.
enum EventPad {
    static func text(_ count: Int) -> String {
        let words = [
            "containerID", "containerd://", "image", "nginx:1.27", "imageID", "sha256", "ready", "true", "restartCount",
            "started", "state", "running", "startedAt", "2026-11-25T17:00:00Z", "hostIP", "10.244.1.7", "podIP",
            "phase", "Running", "qosClass", "Burstable", "conditions", "Initialized", "ContainersReady", "PodScheduled",
            "lastProbeTime", "null", "lastTransitionTime", "nodeName", "kubesim-worker", "serviceAccountName",
            "default",
        ]
        var generator = SplitMix(seed: 42)
        var text = ""
        while text.utf8.count < count {
            text += words[Int(generator.next() % UInt64(words.count))]
            text += ["=", ";", " ", ",", ":"][Int(generator.next() % 5)]
            if generator.next() % 4 == 0 { text += String(generator.next() % 100_000, radix: 16) }
        }
        return String(text.utf8.prefix(count))!
    }

    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<8).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    private struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
