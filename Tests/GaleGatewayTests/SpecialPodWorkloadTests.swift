import Foundation
import GaleJSON
import GaleProtocol
import KubeSim
import NIOHTTP1
import NIOWebSocket
import Synchronization
import Testing
import WSCore

@testable import GaleGateway

/// Pods (restart, logs, events, metrics, terminal) and workloads (scale, rollback, revisions),
/// end to end through the gateway against KubeSim.
@Suite("Special operations: pods and workloads")
struct SpecialPodWorkloadTests {
    @Test("pod logs, events, metrics and restart; logs over WebSocket too")
    func pods() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let (_, logs) = try await cluster.get("/pods/\(pod)/logs", ["namespace": "demo", "tail_lines": "3"])
            let text = try #require(logs["data"]?["logs"]?.stringValue)
            #expect(!text.isEmpty && text.split(separator: "\n").count <= 3)
            let (_, badContainer) = try await cluster.get(
                "/pods/\(pod)/logs", ["namespace": "demo", "container": "nope"])
            #expect(badContainer["code"]?.intValue == 1001)

            let (_, events) = try await cluster.get("/pods/\(pod)/events", ["namespace": "demo"])
            let items = try #require(events["data"]?["items"]?.arrayValue)
            #expect(!items.isEmpty)
            #expect(items.allSatisfy { $0["involvedObject"]?["name"]?.stringValue == pod })
            let (_, missing) = try await cluster.get("/pods/no-such-pod/events", ["namespace": "demo"])
            #expect(missing["code"]?.intValue == 1004)

            let (_, metrics) = try await cluster.get("/pods/metrics", ["namespace": "demo", "pageSize": "2"])
            #expect(metrics["data"]?["items"]?.arrayValue?.count == 2)
            #expect((metrics["data"]?["total"]?.intValue ?? 0) >= 5)
            #expect(metrics["data"]?["items"]?[0]?["containers"]?.arrayValue?.isEmpty == false)

            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let answer = try await socket.request(
                    "GET", "/pods/\(pod)/logs?cluster_id=\(cluster.id)&namespace=demo&tail_lines=2")
                #expect(answer.code == .ok)
                #expect(answer.data["logs"]?.stringValue?.isEmpty == false)
                // A request frame answers once; a followed log is a subscription (HTTP streams it: LogStreamTests).
                let follow = try await socket.request(
                    "GET", "/pods/\(pod)/logs?cluster_id=\(cluster.id)&namespace=demo&follow=true")
                #expect(follow.code == .invalidArgument)
                #expect(follow.msg.contains("subscribe"))
                try await socket.outbound.close(.normalClosure, reason: nil)
            }

            let restarted = try await cluster.confirmed(.POST, "/pods/\(pod)/restart", ["namespace": "demo"])
            #expect(restarted["data"]?["controller"]?["kind"]?.stringValue == "ReplicaSet")
            #expect(
                try await eventually {
                    let names = try await cluster.runningPods(label: "app=nginx")
                    return !names.contains(pod) && names.count == 3
                })
            let (_, gone) = try await cluster.send(.POST, "/pods/no-such-pod/restart", ["namespace": "demo"])
            #expect(gone["code"]?.intValue == 1004)
        }
    }

    @Test("a restart of a pod without a controller is refused; terminal tickets are one-time and operator-only")
    func bareAndTerminal() async throws {
        try await SimCluster.with { cluster in
            let content: GaleJSON.JSONValue = [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "lonely"],
                "spec": [
                    "containers": [
                        ["name": "main", "image": "busybox:1.36"], ["name": "side", "image": "busybox:1.36"],
                    ]
                ],
            ]
            let (_, created) = try await cluster.send(.POST, "/pods", ["namespace": "demo", "content": content])
            #expect(created["code"]?.intValue == 0)
            let (_, refused) = try await cluster.send(.POST, "/pods/lonely/restart", ["namespace": "demo"])
            #expect(refused["code"]?.intValue == 1001)
            #expect(refused["msg"]?.stringValue?.contains("no controller") == true)

            #expect(try await eventually { try await cluster.podPhase("lonely") == "Running" })
            let operatorToken = try await cluster.gateway.token(.operator)
            let (_, issued) = try await cluster.get(
                "/pods/lonely/terminal", ["namespace": "demo", "container": "side"], token: operatorToken)
            let ticket = try #require(issued["data"]?["token"]?.stringValue)
            #expect(issued["data"]?["terminal_url"]?.stringValue?.hasSuffix("/ws/terminal/\(ticket)") == true)
            #expect(issued["data"]?["expires_in"]?.intValue == 60)
            let grant = try #require(cluster.gateway.gateway.terminalTickets.consume(ticket))
            #expect(grant.pod == "lonely" && grant.container == "side" && grant.namespace == "demo")
            #expect(grant.clusterID == cluster.id && grant.subject == "tester-operator")
            #expect(cluster.gateway.gateway.terminalTickets.consume(ticket) == nil)

            let (_, defaulted) = try await cluster.get("/pods/lonely/terminal", ["namespace": "demo"])
            #expect(defaulted["data"]?["container"]?.stringValue == "main")
            let (_, wrong) = try await cluster.get("/pods/lonely/terminal", ["namespace": "demo", "container": "nope"])
            #expect(wrong["code"]?.intValue == 1001)
            let viewer = try await cluster.gateway.token(.viewer)
            let (status, denied) = try await cluster.get("/pods/lonely/terminal", ["namespace": "demo"], token: viewer)
            #expect(status == 403 && denied["code"]?.intValue == 1005)

            let clock = Mutex(ContinuousClock.now)
            let short = TerminalTickets(lifetime: .seconds(60), now: { clock.withLock { $0 } })
            let expiring = short.issue(subject: "s", clusterID: 1, namespace: "n", pod: "p", container: "c")
            let fresh = short.issue(subject: "s", clusterID: 1, namespace: "n", pod: "p", container: "c")
            clock.withLock { $0 += .seconds(59) }
            #expect(short.consume(fresh) != nil)
            clock.withLock { $0 += .seconds(1) }
            #expect(short.consume(expiring) == nil)
        }
    }

    @Test("scale sets replicas and pods follow; kinds without replicas are refused; scale over WebSocket")
    func scale() async throws {
        try await SimCluster.with { cluster in
            let (_, scaled) = try await cluster.send(
                .POST, "/deployments/nginx/scale", ["namespace": "demo", "replicas": 5])
            #expect(scaled["data"]?["spec"]?["replicas"]?.intValue == 5)
            let (_, deployment) = try await cluster.get("/deployments/nginx", ["namespace": "demo"])
            #expect(deployment["data"]?["spec"]?["replicas"]?.intValue == 5)
            #expect(try await eventually { try await cluster.runningPods(label: "app=nginx").count == 5 })

            for kind in ["daemonsets/log-agent", "cronjobs/report", "jobs/any"] {
                let (_, refused) = try await cluster.send(
                    .POST, "/\(kind)/scale", ["namespace": "demo", "replicas": 2])
                #expect(refused["code"]?.intValue == 1001)
            }
            let (_, negative) = try await cluster.send(
                .POST, "/deployments/nginx/scale", ["namespace": "demo", "replicas": -1])
            #expect(negative["code"]?.intValue == 1001)

            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let answer = try await socket.request(
                    "POST", "/statefulsets/redis/scale",
                    body: ["cluster_id": .int(cluster.id), "namespace": "demo", "replicas": 1])
                #expect(answer.code == .ok)
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
            let (_, redis) = try await cluster.get("/statefulsets/redis", ["namespace": "demo"])
            #expect(redis["data"]?["spec"]?["replicas"]?.intValue == 1)
        }
    }

    @Test("rollback restores the template of a revision, as kubectl rollout undo; revisions newest first")
    func rollback() async throws {
        try await SimCluster.with { cluster in
            try await cluster.setImage("deployments/nginx", "nginx:1.28")
            #expect(try await eventually { try await cluster.revisions("deployments/nginx").count == 2 })
            let revisions = try await cluster.revisions("deployments/nginx")
            #expect(revisions[0]["revision"]?.intValue == 2 && revisions[0]["current"]?.boolValue == true)
            #expect(revisions[0]["images"] == ["nginx:1.28"] && revisions[1]["images"] == ["nginx:1.27"])

            let (_, undone) = try await cluster.send(
                .POST, "/deployments/nginx/rollback", ["namespace": "demo", "revision": 1])
            #expect(undone["data"]?["rolled_back"]?.boolValue == true)
            let (_, deployment) = try await cluster.get("/deployments/nginx", ["namespace": "demo"])
            let image = deployment["data"]?["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"]?.stringValue
            #expect(image == "nginx:1.27")
            #expect(deployment["data"]?["spec"]?["template"]?["metadata"]?["labels"]?["pod-template-hash"] == nil)
            #expect(
                try await eventually {
                    try await cluster.revisions("deployments/nginx").first?["images"] == ["nginx:1.27"]
                })
            let (_, again) = try await cluster.send(
                .POST, "/deployments/nginx/rollback", ["namespace": "demo", "revision": 3])
            #expect(again["data"]?["rolled_back"]?.boolValue == false)
            let (_, unknown) = try await cluster.send(
                .POST, "/deployments/nginx/rollback", ["namespace": "demo", "revision": 42])
            #expect(unknown["code"]?.intValue == 1004)

            try await cluster.setImage("statefulsets/redis", "redis:8.0")
            #expect(try await eventually { try await cluster.revisions("statefulsets/redis").count == 2 })
            let (_, previous) = try await cluster.send(.POST, "/statefulsets/redis/rollback", ["namespace": "demo"])
            #expect(previous["data"]?["revision"]?.intValue == 1)
            let (_, redis) = try await cluster.get("/statefulsets/redis", ["namespace": "demo"])
            #expect(
                redis["data"]?["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"]?.stringValue == "redis:7.4")

            let (_, job) = try await cluster.send(
                .POST, "/cronjobs/report/rollback", ["namespace": "demo", "revision": 1])
            #expect(job["code"]?.intValue == 1001)
        }
    }
}

extension SimCluster {
    /// Names of the running pods in `namespace` matching `label`.
    func runningPods(label: String?, namespace: String = "demo") async throws -> [String] {
        var query = ["namespace": namespace, "fieldSelector": "status.phase=Running", "pageSize": "500"]
        if let label { query["labelSelector"] = label }
        let (_, list) = try await get("/pods", query)
        return (list["data"]?["items"]?.arrayValue ?? []).filter { $0["metadata"]?["deletionTimestamp"] == nil }
            .compactMap { $0["metadata"]?["name"]?.stringValue }
    }

    /// A running pod matching `label` in `demo`, once there is one.
    func runningPod(label: String) async throws -> String {
        var found: String?
        _ = try await eventually {
            found = try await runningPods(label: label).first
            return found != nil
        }
        return try #require(found)
    }

    /// A pod matching `label` in `demo` that has started: running, or already ended (a job's
    /// pod can run its course between two looks).
    func startedPod(label: String) async throws -> String {
        var found: String?
        try await eventually {
            let (_, list) = try await get("/pods", ["namespace": "demo", "labelSelector": label])
            found = (list["data"]?["items"]?.arrayValue ?? []).first {
                ["Running", "Succeeded", "Failed"].contains($0["status"]?["phase"]?.stringValue ?? "")
            }?["metadata"]?["name"]?.stringValue
            return found != nil
        }
        return try #require(found)
    }

    func podPhase(_ name: String, namespace: String = "demo") async throws -> String? {
        try await get("/pods/\(name)", ["namespace": namespace]).envelope["data"]?["status"]?["phase"]?.stringValue
    }

    /// Changes the first container's image with the update operation (confirmed).
    func setImage(_ path: String, _ image: String, namespace: String = "demo") async throws {
        var object = try #require(try await get("/\(path)", ["namespace": namespace]).envelope["data"])
        var containers = try #require(object["spec"]?["template"]?["spec"]?["containers"]?.arrayValue)
        containers[0]["image"] = .string(image)
        object["spec"]?["template"]?["spec"]?["containers"] = .array(containers)
        object["status"] = nil
        let (_, first) = try await send(.PUT, "/\(path)", ["namespace": .string(namespace), "content": object])
        let token = try #require(first["data"]?["confirm_token"])
        let (_, done) = try await send(
            .PUT, "/\(path)", ["namespace": .string(namespace), "content": object, "confirm_token": token])
        #expect(done["code"]?.intValue == 0)
    }

    func revisions(_ path: String, namespace: String = "demo") async throws -> [GaleJSON.JSONValue] {
        try await get("/\(path)/revisions", ["namespace": namespace]).envelope["data"]?["items"]?.arrayValue ?? []
    }
}
