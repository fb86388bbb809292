import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import NIOHTTP1
import NIOWebSocket
import Testing
import WSCore

/// Issue 9 point 8: a confirmation token confirms one call, once, with its body, on the object the
/// preview showed — and the registry and pod restarts need one too.
@Suite("Confirmation tokens")
struct ConfirmationTests {
    static func configMap(_ name: String, _ value: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": ["k": .string(value)]]
    }

    func value(_ cluster: SimCluster, _ name: String) async throws -> String? {
        try await cluster.get("/configmaps/\(name)", ["namespace": "default"]).envelope["data"]?["data"]?["k"]?.stringValue
    }

    @Test("a token is bound to the request body: confirming another edit with it changes nothing")
    func boundToBody() async throws {
        try await SimCluster.with { cluster in
            _ = try await cluster.send(.POST, "/configmaps", ["namespace": "default", "content": Self.configMap("c1", "a")])
            let (_, asked) = try await cluster.send(
                .PUT, "/configmaps/c1", ["namespace": "default", "content": Self.configMap("c1", "previewed")])
            #expect(asked["code"]?.intValue == 1010)
            let token = try #require(asked["data"]?["confirm_token"])
            let (_, swapped) = try await cluster.send(
                .PUT, "/configmaps/c1", ["namespace": "default", "content": Self.configMap("c1", "swapped"), "confirm_token": token])
            #expect(swapped["code"]?.intValue == 1001)
            #expect(try await value(cluster, "c1") == "a")
            let (_, done) = try await cluster.send(
                .PUT, "/configmaps/c1", ["namespace": "default", "content": Self.configMap("c1", "previewed"), "confirm_token": token])
            #expect(done["code"]?.intValue == 0)
            #expect(try await value(cluster, "c1") == "previewed")
        }
    }

    @Test("a token is bound to the target as previewed: after a change it brings a fresh preview instead")
    func boundToTarget() async throws {
        try await SimCluster.with { cluster in
            _ = try await cluster.send(.POST, "/configmaps", ["namespace": "default", "content": Self.configMap("c2", "a")])
            let (_, asked) = try await cluster.send(.DELETE, "/configmaps/c2", ["namespace": "default"])
            let token = try #require(asked["data"]?["confirm_token"])
            #expect(asked["data"]?["target"]?["uid"]?.stringValue?.isEmpty == false)
            // Someone else changes the object after the preview.
            let edited = try await cluster.confirmed(
                .PUT, "/configmaps/c2", ["namespace": "default", "content": Self.configMap("c2", "b")])
            #expect(edited["code"]?.intValue == 0)
            let (_, stale) = try await cluster.send(.DELETE, "/configmaps/c2", ["namespace": "default", "confirm_token": token])
            #expect(stale["code"]?.intValue == 1010)
            #expect(stale["msg"]?.stringValue?.contains("changed since the preview") == true)
            #expect(try await value(cluster, "c2") == "b")
            // The fresh token works.
            let fresh = try #require(stale["data"]?["confirm_token"])
            let (_, deleted) = try await cluster.send(.DELETE, "/configmaps/c2", ["namespace": "default", "confirm_token": fresh])
            #expect(deleted["code"]?.intValue == 0)
        }
    }

    @Test("a token is single-use")
    func singleUse() async throws {
        try await SimCluster.with { cluster in
            let node = "kubesim-worker"
            let (_, asked) = try await cluster.send(.POST, "/nodes/\(node)/drain", ["force": true])
            let token = try #require(asked["data"]?["confirm_token"])
            let (_, first) = try await cluster.send(.POST, "/nodes/\(node)/drain", ["force": true, "confirm_token": token])
            #expect(first["code"]?.intValue == 0)
            let (_, again) = try await cluster.send(.POST, "/nodes/\(node)/drain", ["force": true, "confirm_token": token])
            #expect(again["code"]?.intValue == 1001)
            #expect(again["msg"]?.stringValue?.contains("already used") == true)
        }
    }

    @Test("restarting a pod needs confirmation; the preview changes nothing")
    func podRestart() async throws {
        try await SimCluster.with { cluster in
            #expect(try await eventually { try await cluster.runningPods(label: "app=nginx").count == 3 })
            let pod = try #require(try await cluster.runningPods(label: "app=nginx").first)
            let (_, asked) = try await cluster.send(.POST, "/pods/\(pod)/restart", ["namespace": "demo"])
            #expect(asked["code"]?.intValue == 1010)
            #expect(asked["data"]?["preview"]?["restarts"]?["name"]?.stringValue == pod)
            let (_, still) = try await cluster.get("/pods/\(pod)", ["namespace": "demo"])
            #expect(still["code"]?.intValue == 0)
            let token = try #require(asked["data"]?["confirm_token"])
            let (_, restarted) = try await cluster.send(
                .POST, "/pods/\(pod)/restart", ["namespace": "demo", "confirm_token": token])
            #expect(restarted["code"]?.intValue == 0)
        }
    }

    @Test("updating and deleting a registered cluster need confirmation")
    func registryChanges() async throws {
        try await TestGateway.with { gateway in
            let admin = try await gateway.token()
            let id = try await gateway.register("prod", kubeconfig: Kubeconfigs.valid, token: admin)
            let (status, asked) = try await gateway.http(.DELETE, "/clusters/\(id)", token: admin)
            #expect(status == 428 && asked["code"]?.intValue == 1010)
            #expect(asked["data"]?["preview"]?["deletes"]?["name"]?.stringValue == "prod")
            #expect(try await gateway.http(.GET, "/clusters/\(id)", token: admin).envelope["code"]?.intValue == 0)

            let (_, rename) = try await gateway.http(.PUT, "/clusters/\(id)", token: admin, body: ["name": "prod-eu"])
            #expect(rename["code"]?.intValue == 1010)
            #expect(rename["data"]?["preview"]?["changes"] == ["name"])
            let (_, renamed) = try await gateway.http(
                .PUT, "/clusters/\(id)", token: admin, body: ["name": "prod-eu", "confirm_token": rename["data"]?["confirm_token"] ?? .null])
            #expect(renamed["data"]?["name"]?.stringValue == "prod-eu")

            // The delete token was for the record before the rename.
            let token = try #require(asked["data"]?["confirm_token"]?.stringValue)
            let (_, stale) = try await gateway.http(.DELETE, "/clusters/\(id)?confirm_token=\(token)", token: admin)
            #expect(stale["code"]?.intValue == 1010)
            let fresh = try #require(stale["data"]?["confirm_token"]?.stringValue)
            let (_, deleted) = try await gateway.http(.DELETE, "/clusters/\(id)?confirm_token=\(fresh)", token: admin)
            #expect(deleted["code"]?.intValue == 0)
        }
    }
}
