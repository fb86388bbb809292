import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import KubeClient
import KubeSim
import Testing

/// Watch channels against KubeSim: sharing, delivery, upstream faults, authorization.
@Suite(.timeLimit(.minutes(2)))
struct LiveWatchTests {
    static let configMaps = "/api/v1/namespaces/demo/configmaps"

    static func watchConfigMaps(_ cluster: SimCluster) -> [String: GaleJSON.JSONValue] {
        ["stream": "watch", "cluster": .int(cluster.id), "resource": "configmaps", "namespace": "demo"]
    }

    static func configMap(_ name: String, _ value: String) -> GaleJSON.JSONValue {
        [
            "namespace": "demo",
            "content": ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": ["v": .string(value)]],
        ]
    }

    @Test("N sockets with the same watch share one upstream watch, and each sees a change once, in order (deflate or not)")
    func sharedUpstream() async throws {
        try await SimCluster.with { cluster in
            let baseline = cluster.simulator.faults.openWatchCount()
            let sockets = 5
            let synced = Barrier()
            let views = try await withThrowingTaskGroup(of: WatchView.self) { group in
                for index in 0..<sockets {
                    group.addTask {
                        let result = Shared(WatchView())
                        // Deflate sockets get changes as shared compressed frames.
                        try await cluster.gateway.socket(.init(token: cluster.admin, deflate: index % 2 == 0)) { socket in
                            _ = try await socket.hello()
                            let channel = try await socket.subscribe(Self.watchConfigMaps(cluster))
                            var view = WatchView()
                            try await socket.follow(channel, into: &view) { $0.synced }
                            await synced.arrive()
                            try await socket.follow(channel, into: &view) { $0.objects["demo/shared-1"]?["data"]?["v"] == "2" }
                            result.set(view)
                        }
                        return result.get()
                    }
                }
                await synced.wait(for: sockets)
                try await cluster.eventually { cluster.simulator.faults.openWatchCount() - baseline == 1 }
                // Changes made through request frames on another socket.
                try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                    _ = try await socket.hello()
                    var body = Self.configMap("shared-1", "1")
                    body["cluster_id"] = .int(cluster.id)
                    let created = try await socket.request("POST", "/configmaps", body: body)
                    #expect(created.code == .ok)
                    let patched = try await socket.request(
                        "PATCH", "/configmaps/shared-1",
                        body: ["cluster_id": .int(cluster.id), "namespace": "demo", "content": ["data": ["v": "2"]]])
                    if patched.code != .ok {
                        // Without PATCH in the seed, replace through the confirmed PUT.
                        var update = Self.configMap("shared-1", "2")
                        update["cluster_id"] = .int(cluster.id)
                        let first = try await socket.request("PUT", "/configmaps/shared-1", body: update)
                        update["confirm_token"] = first.data["confirm_token"] ?? .null
                        let second = try await socket.request("PUT", "/configmaps/shared-1", body: update)
                        #expect(second.code == .ok, "\(second.msg)")
                    }
                }
                var views: [WatchView] = []
                for try await view in group { views.append(view) }
                return views
            }
            let truth = try await cluster.clusterVersions(Self.configMaps)
            for view in views {
                #expect(view.problems.isEmpty, "\(view.problems)")
                #expect(view.versions == truth)
                let mine = view.events.filter { $0.key == "demo/shared-1" }.map(\.event)
                #expect(mine == ["ADDED", "MODIFIED"])
            }
        }
    }

    @Test("A new subscriber is served from the shared cache: no second upstream watch, same snapshot")
    func snapshotFromCache() async throws {
        try await SimCluster.with { cluster in
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let first = try await socket.subscribe(Self.watchConfigMaps(cluster))
                var view1 = WatchView()
                try await socket.follow(first, into: &view1) { $0.synced }
                // The watch request follows the initial LIST.
                try await cluster.eventually { cluster.simulator.faults.openWatchCount() == 1 }
                let watches = cluster.simulator.faults.openWatchCount()
                let second = try await socket.subscribe(Self.watchConfigMaps(cluster))
                var view2 = WatchView()
                try await socket.follow(second, into: &view2) { $0.synced }
                #expect(cluster.simulator.faults.openWatchCount() == watches)
                #expect(view1.versions == view2.versions)
                #expect(!view1.objects.isEmpty)
                #expect(view1.objects.values.allSatisfy { $0["kind"] == "ConfigMap" && $0["apiVersion"] == "v1" })
            }
        }
    }

    @Test("Dropped watches, forced 410, 5xx bursts and a 10 s apiserver outage: the final view is the cluster's, nothing doubled or lost")
    func upstreamFaults() async throws {
        try await SimCluster.with { cluster in
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let channel = try await socket.subscribe(Self.watchConfigMaps(cluster))
                var view = WatchView()
                try await socket.follow(channel, into: &view) { $0.synced }
                let client = try cluster.kubeClient()
                defer { Task { try? await client.shutdown() } }
                let path = Self.configMaps
                func put(_ name: String, _ value: String) async throws {
                    let object: GaleJSON.JSONValue = [
                        "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "demo"],
                        "data": ["v": .string(value)],
                    ]
                    let resource = try #require(ResourceCatalogLookup.configMaps)
                    // Retried: right after the apiserver restarts, a loaded machine may refuse a connection or two.
                    for attempt in 1...10 {
                        do {
                            do {
                                _ = try await client.create(resource, namespace: "demo", object: object)
                            } catch let error as KubeError where error.isAlreadyExists {
                                _ = try await client.replace(resource, namespace: "demo", name: name, object: object)
                            }
                            return
                        } catch let error as KubeError where error.isUnreachable && attempt < 10 {
                            try await Task.sleep(for: .milliseconds(500))
                        }
                    }
                }
                func caughtUp() async throws -> Bool {
                    let truth = try await cluster.clusterVersions(path)
                    return view.versions == truth
                }

                // 1. Dropped watches: changes made while the watch is re-established arrive.
                cluster.simulator.faults.dropAllWatches()
                try await put("fault-a", "1")
                try await socket.follow(channel, into: &view) { $0.objects["demo/fault-a"] != nil }

                // 2. 410 Gone on resume: relist, and the difference arrives as ordinary events.
                cluster.simulator.faults.compactHistory()
                cluster.simulator.faults.expireNextWatches(1)
                cluster.simulator.faults.dropAllWatches()
                try await put("fault-b", "1")
                _ = try await client.delete(try #require(ResourceCatalogLookup.configMaps), namespace: "demo", name: "fault-a")
                try await socket.follow(channel, into: &view) { $0.objects["demo/fault-b"] != nil && $0.objects["demo/fault-a"] == nil }
                #expect(view.resyncs == 0)

                // 3. A burst of 5xx while reconnecting.
                cluster.simulator.faults.failNextRequests(3, code: 503)
                cluster.simulator.faults.dropAllWatches()
                // The reconnecting watch meets all three.
                #expect(try await eventually { cluster.simulator.faults.pendingFailures == 0 })
                cluster.simulator.faults.clear()
                try await put("fault-c", "1")
                try await socket.follow(channel, into: &view) { $0.objects["demo/fault-c"] != nil }

                // 4. The apiserver is down for 10 s; changes made right after it returns arrive.
                try await cluster.simulator.restart(downtime: .seconds(10))
                try await put("fault-d", "1")
                try await put("fault-b", "2")
                try await socket.follow(channel, into: &view) {
                    $0.objects["demo/fault-d"] != nil && $0.objects["demo/fault-b"]?["data"]?["v"] == "2"
                }
                #expect(view.statuses.contains("reconnecting"))
                #expect(view.statuses.last == "connected")
                #expect(try await caughtUp())
                #expect(view.problems.isEmpty, "\(view.problems)")
            }
        }
    }

    @Test("Refusals: unknown resource 1001, missing namespace 1003, foreign cluster 1005, unknown cluster 1002")
    func refusals() async throws {
        try await SimCluster.with { cluster in
            let scoped = try await cluster.gateway.token(clusters: .only(["999"]))
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                func refusal(_ options: [String: GaleJSON.JSONValue]) async throws -> ErrorCode? {
                    do {
                        _ = try await socket.subscribe(options)
                        return nil
                    } catch let refused as SubscribeRefused {
                        return refused.code
                    }
                }
                let id = GaleJSON.JSONValue.int(cluster.id)
                #expect(try await refusal(["stream": "watch", "cluster": id, "resource": "widgets"]) == .invalidArgument)
                #expect(try await refusal(["stream": "watch", "cluster": id]) == .invalidArgument)
                #expect(
                    try await refusal(["stream": "watch", "cluster": id, "resource": "nodes", "namespace": "demo"])
                        == .invalidArgument)
                #expect(
                    try await refusal(["stream": "watch", "cluster": id, "resource": "pods", "namespace": "nowhere"])
                        == .namespaceNotFound)
                #expect(try await refusal(["stream": "watch", "cluster": "4242", "resource": "pods"]) == .clusterNotFound)
                // The socket is still usable.
                let channel = try await socket.subscribe(["stream": "watch", "cluster": id, "resource": "nodes"])
                var view = WatchView()
                try await socket.follow(channel, into: &view) { $0.synced }
                #expect(view.objects.count == 3)
                try await socket.send(.unsubscribe(channel: channel))
                try await socket.receive { if case .unsubscribed(channel, _) = $0 { true } else { false } }
                try await socket.send(.unsubscribe(channel: channel))
                try await socket.receive { if case .error(_, channel?, .invalidArgument, _) = $0 { true } else { false } }
            }
            try await cluster.gateway.socket(.init(token: scoped)) { socket in
                _ = try await socket.hello()
                do {
                    _ = try await socket.subscribe(["stream": "watch", "cluster": .int(cluster.id), "resource": "pods"])
                    Issue.record("a foreign cluster was watched")
                } catch let refused as SubscribeRefused {
                    #expect(refused.code == .forbidden)
                }
            }
        }
    }

    @Test("The upstream watch closes after the linger once nobody subscribes")
    func lingerThenClose() async throws {
        var live = LiveConfiguration.forTests
        live.resumeWindow = .seconds(2)
        try await SimCluster.with(live: live) { cluster in
            let baseline = cluster.simulator.faults.openWatchCount()
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let channel = try await socket.subscribe(Self.watchConfigMaps(cluster))
                var view = WatchView()
                try await socket.follow(channel, into: &view) { $0.synced }
                try await cluster.eventually { cluster.simulator.faults.openWatchCount() == baseline + 1 }
            }
            // The session stays resumable for its window (2 s here), then the linger (0.3 s) runs out.
            try await cluster.eventually(timeout: .seconds(40)) { cluster.simulator.faults.openWatchCount() == baseline }
        }
    }

    @Test("Events stream filtered by involved object; metrics stream samples on its interval")
    func eventsAndMetrics() async throws {
        try await SimCluster.with { cluster in
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let id = GaleJSON.JSONValue.int(cluster.id)
                let events = try await socket.subscribe([
                    "stream": "events", "cluster": id, "namespace": "demo", "kind": "Deployment", "name": "nginx",
                ])
                var view = WatchView()
                try await socket.follow(events, into: &view) { $0.synced }
                #expect(!view.objects.isEmpty)
                #expect(
                    view.objects.values.allSatisfy {
                        $0["involvedObject"]?["kind"] == "Deployment" && $0["involvedObject"]?["name"] == "nginx"
                    })
                let metrics = try await socket.subscribe(["stream": "metrics", "cluster": id, "scope": "nodes", "interval": 1])
                var samples: [ServerFrame.Event] = []
                while samples.count < 2 {
                    if case .event(let event) = try await socket.receive(), event.channel == metrics { samples.append(event) }
                }
                #expect(samples.map(\.seq) == [1, 2])
                #expect(samples[0].event == "SAMPLE")
                #expect(samples[0].fields["sample"]?["items"]?.arrayValue?.count == 3)
                let bad = try? await socket.subscribe(["stream": "metrics", "cluster": id, "scope": "galaxies"])
                #expect(bad == nil)
            }
        }
    }
}
