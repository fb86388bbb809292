import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import NIOPosix

/// Pages through a namespace of many pods through the gateway's HTTP API, as the console's pod
/// table does, and subscribes to the same collection over `/ws`:
/// - cold first page: the first request for the collection (with `cacheLists` it opens the shared
///   watch: a full LIST upstream), measured `cold` times, each after the watch has retired;
/// - warm first page and later pages, served from the shared watch's memory (`cacheLists`);
/// - subscribe → `synced` of a watch channel over the whole collection while another socket keeps
///   the shared watch open: the snapshot from the hub cache.
struct ListPagingBenchmark {
    var pods = 5000
    var requests = 200
    var pageSize = 20
    var cold = 5
    var snapshots = 20
    var cacheLists = true
    var jsonPath: String?

    init(_ arguments: inout BenchArguments) {
        pods = arguments.int("--pods", default: pods)
        requests = arguments.int("--requests", default: requests)
        pageSize = arguments.int("--page-size", default: pageSize)
        cold = arguments.int("--cold", default: cold)
        snapshots = arguments.int("--snapshots", default: snapshots)
        cacheLists = !arguments.flag("--no-cache")
        jsonPath = arguments.string("--json")
    }

    func run() async throws {
        let linger = Duration.seconds(1)  // `serve --watch-linger` counts whole seconds
        let cluster = try await BenchCluster.start(
            simulator: .init(seedDemoData: false, podStartDelay: .milliseconds(50), tls: false),
            gateway: .init(watchLingerSeconds: 1, listCache: cacheLists))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await seed(cluster)
            let pages = max(1, pods / pageSize)
            var coldFirst: [Duration] = []
            for _ in 0..<cold {
                try await Task.sleep(for: linger * 3)  // the shared watch retires
                coldFirst.append(try await page(1, cluster))
            }
            var warmFirst: [Duration] = []
            var later: [Duration] = []
            for index in 0..<requests {
                warmFirst.append(try await page(1, cluster))
                later.append(try await page(2 + (index * 7919) % max(1, pages - 1), cluster))
            }
            let snapshot = try await snapshotLatencies(cluster, group: group)

            let coldSummary = LatencySummary(durations: coldFirst)
            let warmSummary = LatencySummary(durations: warmFirst)
            let laterSummary = LatencySummary(durations: later)
            let snapshotSummary = LatencySummary(nanoseconds: snapshot)
            var report = Report("list-paging pods=\(pods) cacheLists=\(cacheLists)")
            report.add("collection", "\(pods) pods in one namespace, pageSize \(pageSize), HTTP GET /pods")
            report.add("first page, cold (opens the watch)", coldSummary.text)
            report.add("first page, warm", warmSummary.text)
            report.add("later pages, warm", laterSummary.text)
            report.add("ws subscribe → synced (\(pods) ADDED)", snapshotSummary.text)
            report.set("pods", pods)
            report.set("cache_lists", cacheLists)
            report.set("cold_first_page", coldSummary)
            report.set("warm_first_page", warmSummary)
            report.set("later_pages", laterSummary)
            report.set("ws_snapshot", snapshotSummary)
            report.emit(jsonPath: jsonPath)
        } catch {
            await cluster.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        await cluster.stop()
        try? await group.shutdownGracefully()
    }

    private func page(_ number: Int, _ cluster: BenchCluster) async throws -> Duration {
        var request = HTTPClientRequest(
            url: cluster.httpBase
                + "/pods?cluster_id=\(cluster.clusterID)&namespace=bench&page=\(number)&pageSize=\(pageSize)")
        request.headers.add(name: "Authorization", value: "Bearer \(cluster.token)")
        let start = ContinuousClock.now
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        let elapsed = ContinuousClock.now - start
        guard response.status == .ok, String(buffer: body).contains("\"total\":\(pods)") else {
            throw LoadSocketError("unexpected answer to page \(number): \(String(buffer: body).prefix(300))")
        }
        return elapsed
    }

    /// Subscribe → `synced` over `/ws`, `snapshots` times, while a second socket keeps the shared
    /// watch open. Measured to the moment `synced` is read from the socket.
    private func snapshotLatencies(_ cluster: BenchCluster, group: any EventLoopGroup) async throws -> [UInt64] {
        let holderInbox = MessageInbox()
        let holder = try await LoadSocket.connect(
            group: group, options: cluster.socketOptions(), onMessage: { holderInbox.put($0) })
        defer { holder.channel.close(promise: nil) }
        holder.send(text: cluster.watchSubscribe(id: "holder", resource: "pods", namespace: "bench"))
        guard
            await holderInbox.first(within: .seconds(60), where: { Marker.contains(Marker.synced, in: $0.data) }) != nil
        else { throw LoadSocketError("the holder's watch did not sync") }

        let inbox = MessageInbox()
        let socket = try await LoadSocket.connect(
            group: group, options: cluster.socketOptions(), onMessage: { inbox.put($0) })
        defer { socket.channel.close(promise: nil) }
        let added = Array(#""event":"ADDED""#.utf8)
        var samples: [UInt64] = []
        for attempt in 0..<snapshots {
            let start = Monotonic.nanoseconds()
            socket.send(text: cluster.watchSubscribe(id: "s\(attempt)", resource: "pods", namespace: "bench"))
            var count = 0
            var channel: UInt32?
            while true {
                guard let message = await inbox.next(timeout: .seconds(60)) else {
                    throw LoadSocketError("snapshot timed out")
                }
                if Marker.contains(added, in: message.data) {
                    count += 1
                } else if Marker.contains(Marker.synced, in: message.data) {
                    channel = FrameText.summary(message)?.channel
                    samples.append(message.receivedAt - start)
                    break
                }
            }
            guard count == pods, let channel else { throw LoadSocketError("snapshot had \(count) ADDED, want \(pods)") }
            socket.send(text: #"{"type":"unsubscribe","channel":\#(channel)}"#)
            _ = await inbox.first(within: .seconds(10)) { FrameText.summary($0)?.type == "unsubscribed" }
        }
        return samples
    }

    /// Creates the namespace and the pods straight in the store, already scheduled and running,
    /// so that no pod start is streamed while figures are taken (and the simulator's controllers,
    /// which look at every pod on every change, have nothing to do).
    private func seed(_ cluster: BenchCluster) async throws {
        try cluster.createNamespace("bench")
        for index in 0..<pods {
            _ = try cluster.simulator.store.create(
                KubeSim.ResourceCatalog.pods, namespace: "bench", object: Self.pod(index))
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let items = cluster.simulator.store.list(KubeSim.ResourceCatalog.pods).items
            if items.filter({ $0[path: ["status", "phase"]]?.stringValue == "Running" }).count >= pods { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw LoadSocketError("the seeded pods did not all start")
    }

    static func pod(_ index: Int) -> KubeSim.JSONValue {
        [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": [
                "name": .string("web-\(index)"), "labels": ["app": "web", "shard": .string("s\(index % 10)")],
            ],
            "status": [
                "phase": "Running", "qosClass": "Burstable", "hostIP": "10.0.0.2",
                "podIP": .string("10.244.\(index / 250).\(index % 250 + 1)"), "startTime": "2026-11-25T17:00:00Z",
                "conditions": [["type": "Ready", "status": "True"], ["type": "PodScheduled", "status": "True"]],
                "containerStatuses": [
                    [
                        "name": "nginx", "image": "nginx:1.27", "ready": true, "restartCount": 0, "started": true,
                        "state": ["running": ["startedAt": "2026-11-25T17:00:00Z"]],
                    ]
                ],
            ],
            "spec": [
                "nodeName": "bench-node",
                "containers": [
                    [
                        "name": "nginx", "image": "nginx:1.27",
                        "ports": [["containerPort": 80]],
                        "resources": ["requests": ["cpu": "100m", "memory": "128Mi"]],
                    ]
                ],
            ],
        ]
    }
}
