import Foundation
import GaleJSON
import GaleProtocol
import KubeClient
import KubeSim
import Logging
import NIOHTTP1
import NIOWebSocket
import Testing
import WSCore

@testable import GaleGateway

/// Nodes (schedule, drain, metrics), namespaces (quotas, limit ranges), metrics (§9) and events
/// (§10), end to end through the gateway against KubeSim.
@Suite("Special operations: nodes, namespaces, metrics and events")
struct SpecialClusterTests {
    @Test("drain needs confirmation, previews the evictions, then cordons and evicts all but DaemonSet pods")
    func drain() async throws {
        try await SimCluster.with { cluster in
            let node = "kubesim-worker"
            // The demo's CronJob "report" starts a pod every five minutes; those come and go on
            // their own schedule and are left out of the comparisons.
            func steady(_ names: [String]) -> Set<String> { Set(names.filter { !$0.hasPrefix("report-") }) }
            #expect(try await eventually { try await cluster.runningPods(label: "app=nginx").count == 3 })
            #expect(try await eventually { try await cluster.podsOnNode(node).contains { $0.owner != "DaemonSet" } })
            let before = try await cluster.podsOnNode(node)

            let (status, preview) = try await cluster.send(.POST, "/nodes/\(node)/drain", [:])
            #expect(status == 428 && preview["code"]?.intValue == 1010)
            let evicts =
                preview["data"]?["preview"]?["evicts"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(steady(evicts) == steady(before.filter { $0.owner != "DaemonSet" }.map(\.name)))
            let skips = preview["data"]?["preview"]?["skips"]?.arrayValue ?? []
            #expect(!skips.isEmpty && skips.allSatisfy { $0["reason"] == "DaemonSet-managed" })
            let (_, unchanged) = try await cluster.get("/nodes/\(node)")
            #expect(unchanged["data"]?["spec"]?["unschedulable"]?.boolValue != true)
            #expect(steady(try await cluster.podsOnNode(node).map(\.name)) == steady(before.map(\.name)))

            let token = try #require(preview["data"]?["confirm_token"])
            let (_, drained) = try await cluster.send(.POST, "/nodes/\(node)/drain", ["confirm_token": token])
            #expect(drained["code"]?.intValue == 0)
            let evicted = drained["data"]?["evicted"]?.arrayValue?.compactMap { $0["name"]?.stringValue ?? $0.stringValue } ?? []
            #expect(steady(evicted) == steady(evicts))
            let (_, cordoned) = try await cluster.get("/nodes/\(node)")
            #expect(cordoned["data"]?["spec"]?["unschedulable"]?.boolValue == true)
            #expect(try await eventually { try await cluster.podsOnNode(node).allSatisfy { $0.owner == "DaemonSet" } })
            #expect(try await eventually { try await cluster.runningPods(label: "app=nginx").count == 3 })

            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let answer = try await socket.request(
                    "POST", "/nodes/\(node)/schedule", body: ["cluster_id": .int(cluster.id), "schedulable": true])
                #expect(answer.code == .ok)
                #expect(answer.data["spec"]?["unschedulable"]?.boolValue != true)
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
            let (_, cordon) = try await cluster.send(.POST, "/nodes/\(node)/schedule", ["schedulable": false])
            #expect(cordon["data"]?["spec"]?["unschedulable"]?.boolValue == true)
            let (_, missing) = try await cluster.send(.POST, "/nodes/no-such-node/drain", [:])
            #expect(missing["code"]?.intValue == 1004)
        }
    }

    @Test("node, pod and cluster metrics; namespace quotas and limit ranges")
    func metricsAndNamespaces() async throws {
        try await SimCluster.with { cluster in
            _ = try await cluster.runningPod(label: "app=nginx")
            let (_, totals) = try await cluster.get("/metrics/cluster")
            let data = try #require(totals["data"])
            #expect(data["nodes"]?["total"]?.intValue == 3)
            #expect(data["cpu"]?["capacity_millicores"]?.intValue == 12_000)
            #expect((data["cpu"]?["usage_millicores"]?.intValue ?? 0) > 0)
            #expect((data["memory"]?["usage_bytes"]?.intValue ?? 0) > 0)
            #expect((data["pods"]?["by_phase"]?["Running"]?.intValue ?? 0) > 0)

            let (_, nodes) = try await cluster.get("/metrics/nodes")
            #expect(nodes["data"]?["total"]?.intValue == 3)
            let (_, one) = try await cluster.get("/metrics/nodes", ["node_name": "kubesim-worker"])
            #expect(one["data"]?["items"]?[0]?["name"]?.stringValue == "kubesim-worker")
            #expect((one["data"]?["items"]?[0]?["cpu"]?["usage_percent"]?.doubleValue ?? 0) > 0)
            let (_, noNode) = try await cluster.get("/metrics/nodes", ["node_name": "nope"])
            #expect(noNode["code"]?.intValue == 1004)
            let (_, raw) = try await cluster.get("/nodes/metrics")
            #expect(
                raw["data"]?["items"]?.arrayValue?.map { $0["kind"] } == ["NodeMetrics", "NodeMetrics", "NodeMetrics"])

            let pod = try await cluster.runningPod(label: "app=api")
            let (_, pods) = try await cluster.get("/metrics/pods", ["namespace": "demo", "pod_name": pod])
            #expect(pods["data"]?["total"]?.intValue == 1)
            #expect((pods["data"]?["items"]?[0]?["cpu_millicores"]?.intValue ?? 0) > 0)
            let (_, noNamespace) = try await cluster.get("/metrics/pods", ["namespace": "nope"])
            #expect(noNamespace["code"]?.intValue == 1003)

            let (_, quotas) = try await cluster.get("/namespaces/demo/resourcequotas")
            #expect((quotas["data"]?["total"]?.intValue ?? 0) >= 1)
            #expect(
                quotas["data"]?["items"]?[0]?["kind"] == "ResourceQuota"
                    || quotas["data"]?["items"]?[0]?["spec"]?["hard"] != nil)
            let (_, limits) = try await cluster.get("/namespaces/demo/limitranges")
            #expect((limits["data"]?["total"]?.intValue ?? 0) >= 1)
            let (_, none) = try await cluster.get("/namespaces/nope/limitranges")
            #expect(none["code"]?.intValue == 1003)
        }
    }

    @Test("stats answer from the sampled history with min, avg and max")
    func stats() async throws {
        try await SimCluster.with { cluster in
            let gateway = cluster.gateway.gateway
            let sampler = MetricsSampler(
                connections: gateway.connections, store: gateway.registry.store, history: gateway.metricsHistory,
                configuration: .init(interval: .milliseconds(10)), logger: Logger(label: "test-sampler"))
            _ = try await cluster.runningPod(label: "app=nginx")
            for _ in 0..<3 { await sampler.sampleAll() }
            let (_, stats) = try await cluster.get("/metrics/stats", ["time_range": "15m"])
            let samples = try #require(stats["data"]?["samples"]?.arrayValue)
            #expect(samples.count >= 3)
            let cpu = try #require(stats["data"]?["cpu"])
            let (low, average, high) = (
                cpu["min"]?.intValue ?? -1, cpu["avg"]?.intValue ?? -1, cpu["max"]?.intValue ?? -1
            )
            #expect(low > 0 && low <= average && average <= high)
            #expect(stats["data"]?["memory"]?["unit"] == "bytes")
            let (_, invalid) = try await cluster.get("/metrics/stats", ["time_range": "soon"])
            #expect(invalid["code"]?.intValue == 1001)
        }
    }

    @Test("the history is sampled as the gateway: only users the cluster lets list node metrics read it")
    func statsNeedNodeMetrics() async throws {
        // Role groups nobody binds: only the binding below gives dave anything; every call asks again.
        let configure: (inout GatewayConfiguration) -> Void = {
            $0.impersonation.roleGroupPrefix = "unbound:"
            $0.impersonation.accessReviewTTL = .zero
        }
        try await SimCluster.with(configure: configure) { cluster in
            let gateway = cluster.gateway.gateway
            let sampler = MetricsSampler(
                connections: gateway.connections, store: gateway.registry.store, history: gateway.metricsHistory,
                configuration: .init(interval: .milliseconds(10)), logger: Logger(label: "test-sampler"))
            await sampler.sampleAll()
            let dave = try await gateway.tokens.issue(subject: "dave", role: .viewer, clusters: .all, ttl: .seconds(600))
            let (status, refused) = try await cluster.get("/metrics/stats", ["time_range": "15m"], token: dave)
            #expect(status == 403 && refused["code"]?.intValue == 1005, "\(refused)")
            #expect(refused["data"] == .null)

            let client = try cluster.kubeClient()
            defer { Task { try? await client.shutdown() } }
            _ = try await client.create(
                Self.clusterRoleBindings, namespace: nil,
                object: [
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                    "metadata": ["name": "dave-reads-metrics"],
                    "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubegale-viewer"],
                    "subjects": [["apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "dave"]],
                ])
            let (_, allowed) = try await cluster.get("/metrics/stats", ["time_range": "15m"], token: dave)
            #expect(allowed["code"]?.intValue == 0, "\(allowed)")
            #expect(allowed["data"]?["samples"]?.arrayValue?.isEmpty == false)
        }
    }

    static let clusterRoleBindings = KubeResource(
        group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings", kind: "ClusterRoleBinding",
        namespaced: false)

    @Test("the history is a bounded ring per cluster")
    func historyRing() {
        let history = MetricsHistory(capacity: 3)
        let start = Date()
        for second in 0..<5 {
            history.record(Self.sample(at: start.addingTimeInterval(Double(second)), cpu: Double(second)), cluster: 7)
        }
        history.record(Self.sample(at: start, cpu: 99), cluster: 8)
        #expect(history.samples(cluster: 7).map(\.cpuUsage) == [2, 3, 4])
        #expect(history.samples(cluster: 7, since: start.addingTimeInterval(3.5)).map(\.cpuUsage) == [4])
        history.retain(clusters: [7])
        #expect(history.samples(cluster: 8).isEmpty)
        #expect(MetricsSampler.Configuration().capacity == 2880)
    }

    @Test("events filter by namespace, kind and name, newest first; over WebSocket too")
    func events() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let (_, all) = try await cluster.get("/events", ["namespace": "demo", "pageSize": "500"])
            let items = try #require(all["data"]?["items"]?.arrayValue)
            #expect(!items.isEmpty && items.allSatisfy { $0["metadata"]?["namespace"] == "demo" })
            let times = items.compactMap { $0["lastTimestamp"]?.stringValue }
            #expect(times == times.sorted(by: >))

            let (_, forPod) = try await cluster.get(
                "/events", ["namespace": "demo", "resource_type": "pods", "resource_name": pod])
            let podEvents = try #require(forPod["data"]?["items"]?.arrayValue)
            #expect(!podEvents.isEmpty)
            #expect(
                podEvents.allSatisfy {
                    $0["involvedObject"]?["kind"] == "Pod" && $0["involvedObject"]?["name"]?.stringValue == pod
                })
            let (_, deployments) = try await cluster.get("/events", ["resource_type": "Deployment"])
            #expect(
                deployments["data"]?["items"]?.arrayValue?.allSatisfy { $0["involvedObject"]?["kind"] == "Deployment" }
                    == true)
            let (_, noNamespace) = try await cluster.get("/events", ["namespace": "nope"])
            #expect(noNamespace["code"]?.intValue == 1003)

            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let answer = try await socket.request(
                    "GET", "/events?cluster_id=\(cluster.id)&namespace=demo&resource_type=Pod&resource_name=\(pod)")
                #expect(answer.code == .ok)
                #expect(answer.data["total"] == forPod["data"]?["total"])
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    static func sample(at timestamp: Date, cpu: Double) -> ClusterSample {
        ClusterSample(
            timestamp: timestamp, nodes: 1, readyNodes: 1, schedulableNodes: 1, podsByPhase: [:], cpuCapacity: 1000,
            cpuAllocatable: 1000, cpuUsage: cpu, memoryCapacity: 1, memoryAllocatable: 1, memoryUsage: 1)
    }
}

extension SimCluster {
    /// The pods on `node` (not being deleted), with the kind of their controller.
    func podsOnNode(_ node: String) async throws -> [(name: String, owner: String?)] {
        let (_, list) = try await get("/pods", ["fieldSelector": "spec.nodeName=\(node)", "pageSize": "500"])
        return (list["data"]?["items"]?.arrayValue ?? []).filter { $0["metadata"]?["deletionTimestamp"] == nil }.map {
            pod in
            let owner = pod["metadata"]?["ownerReferences"]?[0]?["kind"]?.stringValue
            return (pod["metadata"]?["name"]?.stringValue ?? "", owner)
        }
    }
}
