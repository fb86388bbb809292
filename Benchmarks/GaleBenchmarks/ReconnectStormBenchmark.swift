import AsyncHTTPClient
import Foundation
import GaleJSON
import KubeSim
import NIOCore
import NIOHTTP1
import NIOPosix

/// A reconnect storm: `sockets` clients watch one collection, all lose their connection at once
/// (no close frame, as when a network path or a load balancer goes away), `missed` changes happen
/// while they are away, then all reconnect at once and resume their sessions with
/// `hello {session, lastSeq}`. Figures: time from the start of the reconnect to each resumed
/// `hello` (p50/p99/max), time until every socket has every missed event, and events lost or
/// doubled; the gateway's CPU time during the storm (`kubegale serve` in a process of its own, so
/// the clients' file descriptors and the gateway's are counted against two processes' limits).
/// The target is every socket resumed within 5 s with nothing lost.
struct ReconnectStormBenchmark {
    var sockets = 1000
    var missed = 5
    var deflate = false
    /// Connections opened at once (the storm's concurrency).
    var concurrency = 512
    var jsonPath: String?

    init(_ arguments: inout BenchArguments) {
        sockets = arguments.int("--sockets", default: sockets)
        missed = arguments.int("--missed", default: missed)
        deflate = arguments.flag("--deflate")
        concurrency = max(1, arguments.int("--concurrency", default: concurrency))
        jsonPath = arguments.string("--json")
    }

    func run() async throws {
        let cluster = try await BenchCluster.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try cluster.createNamespace("storm")
            _ = try cluster.simulator.api.create(
                KubeSim.ResourceCatalog.configMaps, namespace: "storm", object: Self.configMap("storm-0"))
            let options = LoadSocket.Options(port: cluster.port, token: cluster.token, deflate: deflate)
            let subscribe = cluster.watchSubscribe(id: "storm", resource: "configmaps", namespace: "storm")
            let clients = (0..<sockets).map { _ in StormClient() }

            // 1. Every client connects, subscribes and is synced.
            let first = try await Self.connectAll(clients, group: group, options: options, concurrency: concurrency) {
                client, socket in client.onFirstSocket(socket, subscribe: subscribe)
            }
            try await Self.waitFor(seconds: 120, "every socket synced") { clients.allSatisfy(\.isSynced) }

            // 2. All connections drop at once; the gateway keeps the sessions.
            for socket in first { socket.channel.close(promise: nil) }
            for socket in first { try? await socket.channel.closeFuture.get() }
            try await Self.waitFor(seconds: 60, "the gateway to see every socket gone") {
                try await cluster.openConnections() == 0
            }

            // 3. Changes the clients miss.
            for index in 1...max(1, missed) {
                _ = try cluster.simulator.api.create(
                    KubeSim.ResourceCatalog.configMaps, namespace: "storm", object: Self.configMap("storm-\(index)"))
            }

            // 4. The storm: everyone reconnects and resumes.
            for client in clients { client.prepareToResume(missed: max(1, missed)) }
            let gatewayCPU0 = cluster.gateway.cpuNanoseconds
            let benchCPU0 = Monotonic.processCPUNanoseconds()
            let start = Monotonic.nanoseconds()
            let second = try await Self.connectAll(clients, group: group, options: options, concurrency: concurrency) {
                client, socket in client.onSecondSocket(socket)
            }
            let connected = Monotonic.nanoseconds()
            try? await Self.waitFor(seconds: 60, "every socket resumed and caught up") {
                clients.allSatisfy(\.isCaughtUp)
            }
            let end = Monotonic.nanoseconds()
            let gatewayCPU = gatewayCPU0.flatMap { before in cluster.gateway.cpuNanoseconds.map { Double($0 - before) } }
            let benchCPU = Double(Monotonic.processCPUNanoseconds() - benchCPU0)

            let resumed = clients.compactMap(\.resumedAt).map { $0 - start }
            let caughtUp = clients.compactMap(\.caughtUpAt).map { $0 - start }
            let lost = clients.reduce(0) { $0 + max(0, max(1, missed) - $1.missedReceived) }
            let doubled = clients.reduce(0) { $0 + $1.duplicates }
            var report = Report("reconnect storm: \(sockets) sockets\(deflate ? " (deflate)" : ""), \(max(1, missed)) missed events each")
            let resumedSummary = LatencySummary(nanoseconds: resumed)
            let caughtUpSummary = LatencySummary(nanoseconds: caughtUp)
            report.add("resumed", "\(resumed.count) of \(sockets), new sessions \(clients.filter(\.gotNewSession).count)")
            report.add("time to resumed hello", resumedSummary.text)
            report.add("time to all missed events", caughtUpSummary.text)
            report.add("all sockets reconnected in", Report.ms(Double(connected - start) / 1e6))
            report.add("storm over in", Report.ms(Double(end - start) / 1e6))
            report.add("events lost / doubled", "\(lost) / \(doubled)")
            if let gatewayCPU {
                report.add(
                    "gateway CPU in the storm",
                    String(
                        format: "%.0f ms, %.0f µs per resumed socket", gatewayCPU / 1e6,
                        gatewayCPU / 1e3 / Double(max(resumed.count, 1))))
                report.set("gateway_cpu_ms", gatewayCPU / 1e6)
                report.set("gateway_cpu_us_per_resume", gatewayCPU / 1e3 / Double(max(resumed.count, 1)))
            }
            report.add(
                "clients' process CPU in the storm",
                String(format: "%.0f ms (load clients and KubeSim, this process)", benchCPU / 1e6))
            report.set("clients_cpu_ms", benchCPU / 1e6)
            let within5s = resumed.count == sockets && (resumed.max() ?? .max) <= 5_000_000_000
            report.add("all resumed within 5 s", within5s ? "yes" : "no")
            report.set("sockets", sockets)
            report.set("deflate", deflate)
            report.set("missed", max(1, missed))
            report.set("resumed", resumed.count)
            report.set("resumed_latency", resumedSummary)
            report.set("caught_up_latency", caughtUpSummary)
            report.set("events_lost", lost)
            report.set("events_doubled", doubled)
            report.set("all_resumed_within_5s", within5s)
            report.emit(jsonPath: jsonPath)
            await FanoutBenchmark.closeAll(second)
        } catch {
            try? await group.shutdownGracefully()
            await cluster.stop()
            throw error
        }
        try? await group.shutdownGracefully()
        await cluster.stop()
    }

    /// Connects one socket per client, `concurrency` at a time; `opened` runs for each socket as
    /// soon as it is open, before any other socket waits on it.
    static func connectAll(
        _ clients: [StormClient], group: any EventLoopGroup, options: LoadSocket.Options, concurrency: Int,
        opened: @escaping @Sendable (StormClient, LoadSocket) -> Void
    ) async throws -> [LoadSocket] {
        try await withThrowingTaskGroup(of: LoadSocket.self) { tasks in
            var sockets: [LoadSocket] = []
            sockets.reserveCapacity(clients.count)
            for (index, client) in clients.enumerated() {
                if index >= concurrency, let socket = try await tasks.next() { sockets.append(socket) }
                tasks.addTask {
                    let socket = try await LoadSocket.connect(
                        group: group, options: options, onMessage: { client.received($0) })
                    opened(client, socket)
                    return socket
                }
            }
            for try await socket in tasks { sockets.append(socket) }
            return sockets
        }
    }

    static func waitFor(seconds: Int, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw LoadSocketError("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func configMap(_ name: String) -> KubeSim.JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "storm"], "data": ["v": "1"]]
    }
}

extension BenchCluster {
    /// The gateway's open WebSocket connections, read from its `/metrics`.
    func openConnections() async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 4 << 20))
        for line in text.split(separator: "\n") where line.hasPrefix("kubegale_websocket_connections ") {
            return Int(Double(line.split(separator: " ").last ?? "") ?? -1)
        }
        throw LoadSocketError("/metrics has no kubegale_websocket_connections")
    }
}
