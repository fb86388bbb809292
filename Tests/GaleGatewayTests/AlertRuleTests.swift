import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import KubeClient
import NIOHTTP1
import Testing

/// Alert rules through the real gateway against KubeSim: CRUD and validation over HTTP, the
/// evaluator's pending → firing → resolved with the rule's duration, the history, the `alerts`
/// stream and webhook notification with retries.
@Suite struct AlertRuleTests {
    /// Evaluations every 100 ms and webhook retries 100 ms apart (doubling), so tests take seconds.
    static func fast(_ configuration: inout GatewayConfiguration) {
        configuration.alerts = AlertConfiguration(
            evaluationInterval: .milliseconds(100), webhookTimeout: .seconds(5), webhookAttempts: 4,
            webhookInitialBackoff: .milliseconds(100), webhookMaxBackoff: .seconds(2))
    }

    static let pods = ResourceCatalog.standard.resource(named: "pods")!
    static let namespaces = ResourceCatalog.standard.resource(named: "namespaces")!

    @Test(.timeLimit(.minutes(2)))
    func restartRuleFiresAfterItsDurationResolvesAndNotifies() async throws {
        try await SimCluster.with(configure: Self.fast) { cluster in
            let receiver = WebhookReceiver()
            try await receiver.run { url in try await Self.withKube(cluster) { kube in
                try await Self.runningPod("crasher", namespace: "alerting", kube: kube)
                let rule = try await Self.createRule(
                    cluster,
                    [
                        "name": "restarts", "condition": "pod_restarts", "threshold": 3, "namespace": "alerting",
                        "for_seconds": 1, "severity": "critical", "webhook_url": .string(url),
                    ])
                try await cluster.gateway.socket(SocketOptions(token: cluster.admin)) { socket in
                    let channel = try await socket.subscribe(["stream": "alerts", "cluster": .string(String(cluster.id))])
                    let snapshot = try await Self.nextEvent(&socket, channel: channel)
                    #expect(snapshot.event == "ALERTS")
                    #expect(snapshot.fields["alerts"] == .array([]))

                    try await Self.crashLoop("crasher", namespace: "alerting", restarts: 5, kube: kube)
                    let pending = try await Self.nextEvent(&socket, channel: channel)
                    #expect(pending.event == "PENDING")
                    #expect(pending.fields["alert"]?["target"] == "Pod/alerting/crasher")
                    #expect(pending.fields["alert"]?["detail"] == "restarted 5 times")
                    let firing = try await Self.nextEvent(&socket, channel: channel)
                    #expect(firing.event == "FIRING")
                    #expect(firing.fields["from"] == "pending")
                    // The condition held for the rule's duration before it fired.
                    let since = try Self.date(firing.fields["alert"]?["since"])
                    let fired = try Self.date(firing.fields["alert"]?["fired_at"])
                    #expect(fired.timeIntervalSince(since) >= 1)

                    let (_, current) = try await cluster.gateway.http(
                        .GET, "/alerts?cluster_id=\(cluster.id)", token: cluster.admin)
                    #expect(current["data"]?["items"]?[0]?["state"] == "firing")

                    // Recovery: the crash-looping pod is gone.
                    _ = try await kube.delete(Self.pods, namespace: "alerting", name: "crasher")
                    let resolved = try await Self.nextEvent(&socket, channel: channel)
                    #expect(resolved.event == "RESOLVED")
                    #expect(resolved.fields["alert"]?["resolved_at"]?.stringValue != nil)
                    try await socket.send(text: #"{"type":"unsubscribe","channel":\#(channel)}"#)
                }
                try await cluster.eventually {
                    receiver.deliveries.map { $0.body["status"]?.stringValue ?? "" } == ["firing", "resolved"]
                }
                #expect(receiver.deliveries[0].body["alert"]?["rule_id"] == .int(rule))
                #expect(receiver.deliveries[0].body["alert"]?["severity"] == "critical")

                let (_, history) = try await cluster.gateway.http(
                    .GET, "/alerts/rules/\(rule)/history", token: cluster.admin)
                let states = (history["data"]?["items"]?.arrayValue ?? []).map { $0["state"]?.stringValue ?? "" }
                #expect(states == ["resolved", "firing", "pending"])  // newest first
                #expect(history["data"]?["total"] == 3)
                // The webhook's query (its token) is never logged.
                #expect(!cluster.gateway.logs.text.contains("webhook-secret"))
            } }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func failingWebhookIsRetriedWithBackoff() async throws {
        try await SimCluster.with(configure: Self.fast) { cluster in
            let receiver = WebhookReceiver(failures: 2)
            try await receiver.run { url in try await Self.withKube(cluster) { kube in
                try await Self.runningPod("looper", namespace: "retrying", kube: kube)
                _ = try await Self.createRule(
                    cluster,
                    ["name": "loops", "condition": "crash_loop", "namespace": "retrying", "webhook_url": .string(url)])
                try await Self.crashLoop("looper", namespace: "retrying", restarts: 1, kube: kube)
                try await cluster.eventually { receiver.deliveries.count >= 3 }
                let deliveries = receiver.deliveries
                #expect(deliveries.allSatisfy { $0.body["status"] == "firing" })
                #expect(deliveries[0].body["alert"]?["detail"] == "CrashLoopBackOff: app")
                // 100 ms, then 200 ms: each retry waits twice as long as the one before.
                let first = deliveries[1].at - deliveries[0].at
                let second = deliveries[2].at - deliveries[1].at
                #expect(first >= .milliseconds(100))
                #expect(second >= .milliseconds(200))
                // Two failed attempts were logged before the third, which succeeded: no giving up.
                let logs = cluster.gateway.logs.text
                #expect(logs.components(separatedBy: "alert webhook failed").count - 1 == 2)
                #expect(!logs.contains("alert webhook gave up"))
            } }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func rulesCRUDPagingAndValidation() async throws {
        try await SimCluster.with { cluster in
            let gateway = cluster.gateway
            var ids: [Int64] = []
            for name in ["cpu-high", "memory-high", "nodes-down"] {
                let condition: JSONValue =
                    switch name {
                    case "cpu-high": "cpu_usage"
                    case "memory-high": "memory_usage"
                    default: "node_not_ready"
                    }
                ids.append(try await Self.createRule(cluster, ["name": .string(name), "condition": condition]))
            }
            let (_, first) = try await gateway.http(.GET, "/alerts/rules?page=1&pageSize=2", token: cluster.admin)
            #expect(first["data"]?["total"] == 3)
            #expect(first["data"]?["items"]?.arrayValue?.count == 2)
            let (_, second) = try await gateway.http(.GET, "/alerts/rules?page=2&pageSize=2", token: cluster.admin)
            #expect(second["data"]?["items"]?[0]?["name"] == "nodes-down")
            let (_, search) = try await gateway.http(.GET, "/alerts/rules?keyword=HIGH", token: cluster.admin)
            #expect(search["data"]?["total"] == 2)

            // Validation: 1001 for every bad field, before anything is stored.
            let bad: [JSONValue] = [
                ["name": "x", "cluster_id": .int(cluster.id), "condition": "disk_full"],
                ["name": "x", "cluster_id": .int(cluster.id), "condition": "pod_restarts", "threshold": 0],
                ["name": "x", "cluster_id": .int(cluster.id), "condition": "crash_loop", "for_seconds": 100_000],
                ["name": "x", "cluster_id": .int(cluster.id), "condition": "crash_loop", "severity": "fatal"],
                ["name": "x", "cluster_id": .int(cluster.id), "condition": "crash_loop", "webhook_url": "ftp://host/x"],
                ["name": "x", "cluster_id": .int(cluster.id), "condition": "crash_loop", "webhook_url": "http:///nohost"],
                [
                    "name": "x", "cluster_id": .int(cluster.id), "condition": "crash_loop",
                    "webhook_url": .string("https://h/" + String(repeating: "a", count: 3000)),
                ],
                ["name": "", "cluster_id": .int(cluster.id), "condition": "crash_loop"],
                ["name": "x", "condition": "crash_loop"],
                ["name": "x", "cluster_id": .int(cluster.id), "condition": "event", "reason": "Back Off!"],
            ]
            for body in bad {
                let (status, refused) = try await gateway.http(.POST, "/alerts/rules", token: cluster.admin, body: body)
                #expect(refused["code"] == 1001, "\(body)")
                #expect(status == 400)
            }
            // A duplicate name fails the create (1007).
            let (_, duplicate) = try await gateway.http(
                .POST, "/alerts/rules", token: cluster.admin,
                body: ["name": "cpu-high", "cluster_id": .int(cluster.id), "condition": "cpu_usage"])
            #expect(duplicate["code"] == 1007)

            // Update: fields left out keep their values; a stale revision is 1008.
            let (_, updated) = try await gateway.http(
                .PUT, "/alerts/rules/\(ids[0])", token: cluster.admin, body: ["threshold": 95, "revision": 1])
            #expect(updated["data"]?["threshold"]?.doubleValue == 95)
            #expect(updated["data"]?["condition"] == "cpu_usage")
            #expect(updated["data"]?["revision"] == 2)
            let (_, stale) = try await gateway.http(
                .PUT, "/alerts/rules/\(ids[0])", token: cluster.admin, body: ["threshold": 90, "revision": 1])
            #expect(stale["code"] == 1008)

            // Roles and scope: a viewer reads but cannot create; another cluster's token sees nothing.
            let viewer = try await gateway.token(.viewer)
            let (_, read) = try await gateway.http(.GET, "/alerts/rules/\(ids[1])", token: viewer)
            #expect(read["data"]?["name"] == "memory-high")
            let (_, refused) = try await gateway.http(
                .POST, "/alerts/rules", token: viewer,
                body: ["name": "v", "cluster_id": .int(cluster.id), "condition": "crash_loop"])
            #expect(refused["code"] == 1005)
            let elsewhere = try await gateway.token(.admin, clusters: .only(["999"]))
            let (_, none) = try await gateway.http(.GET, "/alerts/rules", token: elsewhere)
            #expect(none["data"]?["total"] == 0)
            let (_, hidden) = try await gateway.http(.GET, "/alerts/rules/\(ids[1])", token: elsewhere)
            #expect(hidden["code"] == 1004)
            let (_, foreign) = try await gateway.http(
                .POST, "/alerts/rules", token: elsewhere,
                body: ["name": "f", "cluster_id": .int(cluster.id), "condition": "crash_loop"])
            #expect(foreign["code"] == 1005)

            let (_, deleted) = try await gateway.http(.DELETE, "/alerts/rules/\(ids[2])", token: cluster.admin)
            #expect(deleted["code"] == 0)
            let (_, gone) = try await gateway.http(.GET, "/alerts/rules/\(ids[2])", token: cluster.admin)
            #expect(gone["code"] == 1004)
            let (_, unauthenticated) = try await gateway.http(.GET, "/alerts/rules", token: nil)
            #expect(unauthenticated["code"] == 2001)
        }
    }

    // MARK: - Helpers

    /// Runs `body` with a client straight to KubeSim, shut down afterwards.
    static func withKube<T: Sendable>(_ cluster: SimCluster, _ body: (KubeClient) async throws -> T) async throws -> T {
        let kube = try cluster.kubeClient()
        do {
            let result = try await body(kube)
            try await kube.shutdown()
            return result
        } catch {
            try? await kube.shutdown()
            throw error
        }
    }

    /// Creates a rule on the cluster; returns its id.
    static func createRule(_ cluster: SimCluster, _ fields: JSONValue) async throws -> Int64 {
        var body = fields
        body["cluster_id"] = .int(cluster.id)
        let (_, created) = try await cluster.gateway.http(.POST, "/alerts/rules", token: cluster.admin, body: body)
        guard let id = created["data"]?["id"]?.intValue else { throw TestFailure("cannot create rule: \(created)") }
        return id
    }

    /// Creates a namespace and a pod in it, and waits for the pod to run.
    static func runningPod(_ name: String, namespace: String, kube: KubeClient) async throws {
        _ = try await kube.create(
            namespaces, namespace: nil, object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
        _ = try await kube.create(
            pods, namespace: namespace,
            object: [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": .string(namespace)],
                "spec": ["containers": [["name": "app", "image": "busybox"]]],
            ])
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let pod = try await kube.get(pods, namespace: namespace, name: name)
            if pod["status"]?["phase"] == "Running", pod["status"]?["containerStatuses"]?[0] != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("pod \(namespace)/\(name) did not start")
    }

    /// Writes the pod's status the way a kubelet does for a crash-looping container.
    static func crashLoop(_ name: String, namespace: String, restarts: Int64, kube: KubeClient) async throws {
        var pod = try await kube.get(pods, namespace: namespace, name: name)
        var container = pod["status"]?["containerStatuses"]?[0] ?? [:]
        container["restartCount"] = .int(restarts)
        container["ready"] = false
        container["state"] = ["waiting": ["reason": "CrashLoopBackOff", "message": "back-off restarting failed container"]]
        pod["status"]?["containerStatuses"] = [container]
        _ = try await kube.replaceStatus(pods, namespace: namespace, name: name, object: pod)
    }

    /// The next `event` of `channel`.
    static func nextEvent(_ socket: inout TestSocket, channel: UInt32) async throws -> ServerFrame.Event {
        while true {
            if case .event(let event) = try await socket.receive(), event.channel == channel { return event }
        }
    }

    static func date(_ value: JSONValue?) throws -> Date {
        guard let text = value?.stringValue else { throw TestFailure("not a timestamp: \(String(describing: value))") }
        return try Date(text, strategy: .iso8601)
    }
}
