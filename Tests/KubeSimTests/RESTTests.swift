import Foundation
import KubeSim
import NIOHTTP1
import Testing

@Suite(.serialized) struct RESTTests {
    @Test func discoveryAndAuth() async throws {
        try await SimFixture.withServer { server in
            let client = SimClient(server)
            #expect(try await SimClient(server, token: "wrong").get("/api/v1/pods").status == 401)
            let version = try await client.get("/version")
            #expect(version.json["gitVersion"] == "v1.32.4")
            #expect(version.json["minor"] == "32")
            let core = try await client.get("/api/v1")
            let pods = core.json["resources"]?.arrayValue?.first { $0["name"] == "pods" }
            #expect(pods?["shortNames"] == ["po"])
            let eviction = core.json["resources"]?.arrayValue?.first { $0["name"] == "pods/eviction" }
            #expect(eviction?["group"] == "policy")
            let groups = try await client.get("/apis")
            let names = groups.json["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("apps") && names.contains("metrics.k8s.io") && names.contains("rbac.authorization.k8s.io"))
            let apps = try await client.get("/apis/apps/v1")
            #expect(apps.json["resources"]?.arrayValue?.contains { $0["name"] == "deployments/scale" } == true)
        }
    }

    @Test func listPagingWithContinue() async throws {
        try await SimFixture.withServer { server in
            let client = SimClient(server)
            let all = try await client.get("/api/v1/configmaps").json["items"]?.arrayValue ?? []
            #expect(all.count >= 8)
            var collected: [String] = []
            var token: String?
            repeat {
                let suffix = token.map { "&continue=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? ""
                let page = try await client.get("/api/v1/configmaps?limit=3\(suffix)")
                #expect(page.status == 200)
                let items = page.json["items"]?.arrayValue ?? []
                #expect(items.count <= 3)
                collected += items.compactMap { $0[path: ["metadata", "name"]]?.stringValue }
                token = page.json[path: ["metadata", "continue"]]?.stringValue
            } while token != nil
            #expect(collected == all.compactMap { $0[path: ["metadata", "name"]]?.stringValue })
            let filtered = try await client.get("/api/v1/namespaces/demo/configmaps?labelSelector=app%20in%20(nginx,api)")
            #expect(filtered.json["items"]?.arrayValue?.count == 2)
            let byName = try await client.get("/api/v1/configmaps?fieldSelector=metadata.name%3Dnginx-config")
            #expect(byName.json["items"]?.arrayValue?.count == 1)
        }
    }

    @Test func createUpdatePatchDeleteErrors() async throws {
        try await SimFixture.withServer { server in
            let client = SimClient(server)
            let missing = try await client.get("/api/v1/namespaces/demo/pods/nope")
            #expect(missing.status == 404)
            #expect(missing.json["kind"] == "Status")
            #expect(missing.json["reason"] == "NotFound")
            let noNamespace = try await client.request(.POST, "/api/v1/namespaces/ghost/configmaps", body: ["metadata": ["name": "x"]])
            #expect(noNamespace.status == 404)
            #expect(noNamespace.json[path: ["details", "kind"]] == "namespaces")
            let dry = try await client.request(.POST, "/api/v1/namespaces/demo/configmaps?dryRun=All", body: ["metadata": ["name": "x"]])
            #expect(dry.status == 201)
            #expect(try await client.get("/api/v1/namespaces/demo/configmaps/x").status == 404)
            let created = try await client.request(.POST, "/api/v1/namespaces/demo/configmaps", body: ["metadata": ["name": "x"], "data": ["a": "1"]])
            #expect(created.status == 201)
            #expect(try await client.request(.POST, "/api/v1/namespaces/demo/configmaps", body: ["metadata": ["name": "x"]]).status == 409)
            var stale = created.json
            stale[path: ["metadata", "resourceVersion"]] = "1"
            #expect(try await client.request(.PUT, "/api/v1/namespaces/demo/configmaps/x", body: stale).status == 409)
            let merged = try await client.request(
                .PATCH, "/api/v1/namespaces/demo/configmaps/x", body: ["data": ["b": "2"]], contentType: "application/merge-patch+json")
            #expect(merged.json["data"] == ["a": "1", "b": "2"])
            let jsonPatched = try await client.request(
                .PATCH, "/api/v1/namespaces/demo/configmaps/x", body: [["op": "remove", "path": "/data/a"]],
                contentType: "application/json-patch+json")
            #expect(jsonPatched.json["data"] == ["b": "2"])
            #expect(try await client.request(.DELETE, "/api/v1/namespaces/demo/configmaps/x?dryRun=All").status == 200)
            #expect(try await client.get("/api/v1/namespaces/demo/configmaps/x").status == 200)
            #expect(try await client.request(.DELETE, "/api/v1/namespaces/demo/configmaps/x").status == 200)
            #expect(try await client.get("/api/v1/namespaces/demo/configmaps/x").status == 404)
        }
    }

    @Test func scaleSubresourceAndCascadingDelete() async throws {
        try await SimFixture.withServer { server in
            let client = SimClient(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let scale = try await client.get("/apis/apps/v1/namespaces/demo/deployments/nginx/scale")
            #expect(scale.json["kind"] == "Scale")
            #expect(scale.json[path: ["spec", "replicas"]] == 3)
            let patched = try await client.request(
                .PATCH, "/apis/apps/v1/namespaces/demo/deployments/nginx/scale", body: ["spec": ["replicas": 1]],
                contentType: "application/merge-patch+json")
            #expect(patched.json[path: ["spec", "replicas"]] == 1)
            #expect(await SimFixture.waitForDemoPods(server, count: 1))
            let preview = try server.api.deletionPreview(ResourceCatalog.deployments, namespace: "demo", name: "nginx")
            #expect(preview.contains { $0.0 == ResourceCatalog.replicaSets })
            #expect(preview.contains { $0.0 == ResourceCatalog.pods })
            #expect(try await client.request(.DELETE, "/apis/apps/v1/namespaces/demo/deployments/nginx").status == 200)
            #expect(await SimFixture.eventually {
                server.store.list(ResourceCatalog.pods, filter: .init(namespace: "demo", labelSelector: try! LabelSelector(parsing: "app=nginx"))).items.isEmpty
                    && server.store.list(ResourceCatalog.replicaSets, filter: .init(namespace: "demo")).items.allSatisfy {
                        $0[path: ["metadata", "name"]]?.stringValue?.hasPrefix("nginx-") == false
                    }
            })
        }
    }

    @Test func metricsAreServed() async throws {
        try await SimFixture.withServer { server in
            let client = SimClient(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let nodes = try await client.get("/apis/metrics.k8s.io/v1beta1/nodes")
            #expect(nodes.json["items"]?.arrayValue?.count == 3)
            #expect(nodes.json["items"]?.arrayValue?.first?[path: ["usage", "cpu"]]?.stringValue?.hasSuffix("n") == true)
            let pods = try await client.get("/apis/metrics.k8s.io/v1beta1/namespaces/demo/pods")
            let first = try #require(pods.json["items"]?.arrayValue?.first)
            #expect(first[path: ["metadata", "namespace"]] == "demo")
            #expect(first["containers"]?.arrayValue?.first?[path: ["usage", "memory"]]?.stringValue?.hasSuffix("Ki") == true)
        }
    }
}
