import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import KubeSim
import NIOHTTP1
import NIOWebSocket
import Testing
import WSCore

@Suite("Kubernetes resources through the gateway")
struct ResourceOperationsTests {
    @Test("lists page, filter by keyword and selectors, and agree over HTTP and WebSocket")
    func lists() async throws {
        try await SimCluster.with { cluster in
            let (status, all) = try await cluster.get("/pods", ["namespace": "demo", "pageSize": "2"])
            #expect(status == 200)
            let total = try #require(all["data"]?["total"]?.intValue)
            #expect(total >= 5)
            #expect(all["data"]?["items"]?.arrayValue?.count == 2)
            let (_, nginx) = try await cluster.get("/pods", ["namespace": "demo", "keyword": "nginx"])
            let names = nginx["data"]?["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? []
            #expect(!names.isEmpty && names.allSatisfy { $0.contains("nginx") })
            let (_, labelled) = try await cluster.get("/pods", ["namespace": "demo", "labelSelector": "app=nginx"])
            #expect(labelled["data"]?["total"]?.intValue == Int64(names.count))
            let (_, nodes) = try await cluster.get("/nodes")
            #expect(nodes["data"]?["total"]?.intValue == 3)
            let (_, namespaces) = try await cluster.get("/clusters/\(cluster.id)/namespaces")
            #expect(namespaces["data"]?["namespaces"]?.arrayValue?.contains { $0["metadata"]?["name"] == "demo" } == true)

            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let overSocket = try await socket.request("GET", "/nodes?cluster_id=\(cluster.id)")
                #expect(overSocket.data == nodes["data"])
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test("create from YAML, read, update, delete; missing objects and namespaces have their codes")
    func lifecycle() async throws {
        try await SimCluster.with { cluster in
            let manifest = """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: settings
                data:
                  mode: "fast"
                  replicas: "3"
                """
            let (status, created) = try await cluster.send(.POST, "/configmaps", ["namespace": "demo", "content": .string(manifest)])
            #expect(status == 200)
            #expect(created["data"]?["data"]?["mode"]?.stringValue == "fast")
            let (_, read) = try await cluster.get("/configmaps/settings", ["namespace": "demo"])
            #expect(read["data"]?["metadata"]?["uid"] == created["data"]?["metadata"]?["uid"])

            let update: GaleJSON.JSONValue = [
                "namespace": "demo",
                "content": ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "settings"], "data": ["mode": "safe"]],
            ]
            let updated = try await cluster.confirmed(.PUT, "/configmaps/settings", update)
            #expect(updated["code"]?.intValue == 0)
            #expect(updated["data"]?["data"]?["mode"]?.stringValue == "safe")

            let (_, again) = try await cluster.send(.POST, "/configmaps", ["namespace": "demo", "content": .string(manifest)])
            #expect(again["code"]?.intValue == 1007)
            #expect(again["msg"]?.stringValue?.contains("already exists") == true)

            let deleted = try await cluster.confirmed(.DELETE, "/configmaps/settings", ["namespace": "demo"])
            #expect(deleted["code"]?.intValue == 0)
            let (missingStatus, missing) = try await cluster.get("/configmaps/settings", ["namespace": "demo"])
            #expect(missingStatus == 404)
            #expect(missing["code"]?.intValue == 1004)
            let (_, noNamespace) = try await cluster.get("/pods", ["namespace": "no-such-namespace"])
            #expect(noNamespace["code"]?.intValue == 1003)
            let (_, noCluster) = try await cluster.gateway.http(.GET, "/pods", token: cluster.admin)
            #expect(noCluster["code"]?.intValue == 1001)
            #expect(noCluster["msg"]?.stringValue == "missing parameter \"cluster_id\"")
            let (_, wrongKind) = try await cluster.send(
                .POST, "/configmaps", ["content": ["kind": "Secret", "metadata": ["name": "x"]]]
            )
            #expect(wrongKind["code"]?.intValue == 1001)
        }
    }

    @Test("deletes need confirmation: a preview of the cascade first, then the token performs exactly that call")
    func confirmation() async throws {
        try await SimCluster.with { cluster in
            let (status, asked) = try await cluster.send(.DELETE, "/deployments/nginx", ["namespace": "demo"])
            #expect(status == 428)
            #expect(asked["code"]?.intValue == 1010)
            let preview = asked["data"]?["preview"]?["deletes"]?.arrayValue ?? []
            let kinds = Set(preview.compactMap { $0["kind"]?.stringValue })
            #expect(kinds.isSuperset(of: ["Deployment", "ReplicaSet", "Pod"]), "\(preview)")
            // Nothing happened yet.
            #expect(try await cluster.get("/deployments/nginx", ["namespace": "demo"]).envelope["code"]?.intValue == 0)
            let token = try #require(asked["data"]?["confirm_token"]?.stringValue)
            // The token confirms that call only.
            let (_, misused) = try await cluster.send(
                .DELETE, "/deployments/api", ["namespace": "demo", "confirm_token": .string(token)]
            )
            #expect(misused["code"]?.intValue == 1001)
            let (_, done) = try await cluster.send(.DELETE, "/deployments/nginx", ["namespace": "demo", "confirm_token": .string(token)])
            #expect(done["code"]?.intValue == 0)
            #expect(try await eventually {
                try await cluster.get("/deployments/nginx", ["namespace": "demo"]).envelope["code"]?.intValue == 1004
            })
        }
    }

    @Test("a viewer cannot delete (1005); a cluster that cannot be reached answers 1006")
    func refusals() async throws {
        try await SimCluster.with { cluster in
            let viewer = try await cluster.gateway.token(.viewer)
            let (status, refused) = try await cluster.send(.DELETE, "/pods/whatever", ["namespace": "demo"], token: viewer)
            #expect(status == 403)
            #expect(refused["code"]?.intValue == 1005)

            let (_, dead) = try await cluster.gateway.http(
                .POST, "/clusters", token: cluster.admin, body: ["name": "dead", "kubeconfig": .string(Kubeconfigs.valid)]
            )
            let deadID = try #require(dead["data"]?["id"]?.intValue)
            let (_, nodes) = try await cluster.gateway.http(.GET, "/nodes?cluster_id=\(deadID)", token: cluster.admin)
            #expect(nodes["code"]?.intValue == 1006)
            // The reachable cluster is unaffected.
            #expect(try await cluster.get("/nodes").envelope["code"]?.intValue == 0)
        }
    }
}
