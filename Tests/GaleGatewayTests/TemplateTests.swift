import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import KubeClient
import NIOHTTP1
import Testing

/// Issue 15 point 1: resource templates — stored with typed parameters, rendered without ever
/// reading a value as YAML, applied to a namespace as the caller with a dry run of every object
/// first.
@Suite("Resource templates")
struct TemplateTests {
    static let configMapManifests = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: "{{ name }}"
          labels:
            team: "team-{{ team }}"
        data:
          greeting: "{{ greeting }}"
        """

    static func template(_ name: String, manifests: String = configMapManifests) -> JSONValue {
        [
            "name": .string(name), "description": "one ConfigMap", "manifests": .string(manifests),
            "parameters": [
                ["name": "name", "type": "string", "required": true, "pattern": "[a-z][-a-z0-9]*"],
                ["name": "team", "type": "string", "default": "core"],
                ["name": "greeting", "type": "string", "default": "hello"],
            ],
        ]
    }

    @Test(
        "create, list with paging and keyword, read, update by revision, delete; duplicate names and built-ins refused")
    func crud() async throws {
        try await SimCluster.with { cluster in
            let gateway = cluster.gateway
            let admin = cluster.admin
            var ids: [Int64] = []
            for name in ["alpha-web", "alpha-jobs", "beta-web"] {
                let (_, created) = try await gateway.http(.POST, "/templates", token: admin, body: Self.template(name))
                #expect(created["code"]?.intValue == 0, "\(created)")
                #expect(created["data"]?["revision"]?.intValue == 1)
                ids.append(try #require(created["data"]?["id"]?.intValue))
            }
            let (_, duplicate) = try await gateway.http(
                .POST, "/templates", token: admin, body: Self.template("beta-web"))
            #expect(duplicate["code"]?.intValue == 1007)
            #expect(duplicate["msg"]?.stringValue?.contains("beta-web") == true)

            // Three built-ins first, then the three stored ones.
            let (_, all) = try await gateway.http(.GET, "/templates?page=1&pageSize=4", token: admin)
            #expect(all["data"]?["total"]?.intValue == 6)
            let firstPage = all["data"]?["items"]?.arrayValue ?? []
            #expect(firstPage.count == 4)
            #expect(firstPage.prefix(3).allSatisfy { $0["builtin"] == true })
            #expect(firstPage.last?["name"] == "alpha-web")
            let (_, second) = try await gateway.http(.GET, "/templates?page=2&pageSize=4", token: admin)
            #expect(
                second["data"]?["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == [
                    "alpha-jobs", "beta-web",
                ])
            let (_, alpha) = try await gateway.http(.GET, "/templates?keyword=ALPHA", token: admin)
            #expect(alpha["data"]?["total"]?.intValue == 2)
            let (_, builtIns) = try await gateway.http(.GET, "/templates?keyword=builtin", token: admin)
            #expect(builtIns["data"]?["total"]?.intValue == 3)

            let viewer = try await gateway.token(.viewer)
            let (_, read) = try await gateway.http(.GET, "/templates/\(ids[0])", token: viewer)
            #expect(read["data"]?["parameters"]?.arrayValue?.count == 3)
            let (_, viewerCreate) = try await gateway.http(.POST, "/templates", token: viewer, body: Self.template("v"))
            #expect(viewerCreate["code"]?.intValue == 1005)

            let (_, updated) = try await gateway.http(
                .PUT, "/templates/\(ids[0])", token: admin, body: ["description": "changed", "revision": 1])
            #expect(updated["data"]?["description"] == "changed")
            #expect(updated["data"]?["revision"]?.intValue == 2)
            let (_, stale) = try await gateway.http(
                .PUT, "/templates/\(ids[0])", token: admin, body: ["description": "again", "revision": 1])
            #expect(stale["code"]?.intValue == 1008)
            #expect(stale["data"]?["revision"]?.intValue == 2)
            let (_, renamed) = try await gateway.http(
                .PUT, "/templates/\(ids[0])", token: admin, body: ["name": "beta-web"])
            #expect(renamed["code"]?.intValue == 1008)
            let (_, undeclared) = try await gateway.http(
                .PUT, "/templates/\(ids[0])", token: admin,
                body: ["manifests": .string(Self.configMapManifests + "\n  extra: \"{{ missing }}\"")])
            #expect(undeclared["code"]?.intValue == 1001)
            #expect(undeclared["msg"]?.stringValue?.contains("missing") == true)
            let (_, builtInEdit) = try await gateway.http(
                .PUT, "/templates/-1", token: admin, body: ["description": "x"])
            #expect(builtInEdit["code"]?.intValue == 1008)

            let (_, asked) = try await gateway.http(.DELETE, "/templates/\(ids[1])", token: admin)
            #expect(asked["code"]?.intValue == 1010)
            let token = try #require(asked["data"]?["confirm_token"])
            let (_, deleted) = try await gateway.http(
                .DELETE, "/templates/\(ids[1])", token: admin, body: ["confirm_token": token])
            #expect(deleted["code"]?.intValue == 0)
            let (_, gone) = try await gateway.http(.GET, "/templates/\(ids[1])", token: admin)
            #expect(gone["code"]?.intValue == 1004)
        }
    }

    @Test("render: values typed and checked, defaults filled, a missing or invalid parameter is 1001 naming it")
    func render() async throws {
        try await SimCluster.with { cluster in
            let gateway = cluster.gateway
            let viewer = try await gateway.token(.viewer)
            let (_, rendered) = try await gateway.http(
                .POST, "/templates/-1/render", token: viewer,
                body: ["values": ["name": "shop", "image": "nginx:1.27", "replicas": 3]])
            #expect(rendered["code"]?.intValue == 0, "\(rendered)")
            let objects = rendered["data"]?["objects"]?.arrayValue ?? []
            #expect(objects.map { $0["kind"] } == ["Deployment", "Service"])
            #expect(objects.first?["spec"]?["replicas"] == 3)
            #expect(
                objects.first?["spec"]?["template"]?["spec"]?["containers"]?[0]?["ports"]?[0]?["containerPort"] == 80)
            #expect(objects.last?["spec"]?["selector"]?["app"] == "shop")
            let yaml = try #require(rendered["data"]?["yaml"]?.stringValue)
            #expect(yaml.contains("---\n") && yaml.contains("replicas: 3"))

            let failures: [(values: JSONValue, parameter: String)] = [
                (["name": "shop"], "image"),
                (["name": "shop", "image": "nginx", "replicas": 1000], "replicas"),
                (["name": "shop", "image": "nginx", "replicas": "many"], "replicas"),
                (["name": "Not_A_Name", "image": "nginx"], "name"),
                (["name": "shop", "image": "nginx", "colour": "red"], "colour"),
            ]
            for failure in failures {
                let (status, refused) = try await gateway.http(
                    .POST, "/templates/-1/render", token: viewer, body: ["values": failure.values])
                #expect(status == 400 && refused["code"]?.intValue == 1001, "\(failure.values): \(refused)")
                #expect(refused["msg"]?.stringValue?.contains("\"\(failure.parameter)\"") == true, "\(refused)")
            }
        }
    }

    @Test("values that look like YAML or placeholders stay plain strings")
    func injection() async throws {
        try await SimCluster.with { cluster in
            let gateway = cluster.gateway
            let admin = cluster.admin
            let (_, created) = try await gateway.http(.POST, "/templates", token: admin, body: Self.template("inject"))
            let id = try #require(created["data"]?["id"]?.intValue)
            let hostile = "x\nkind: Secret\nmetadata:\n  name: stolen\n{{ name }} \"}}: ["
            let (_, rendered) = try await gateway.http(
                .POST, "/templates/\(id)/render", token: admin,
                body: ["values": ["name": "safe", "greeting": .string(hostile), "team": "{{ greeting }}"]])
            let object = try #require(rendered["data"]?["objects"]?[0], "\(rendered)")
            #expect(rendered["data"]?["objects"]?.arrayValue?.count == 1)
            #expect(object["kind"] == "ConfigMap")
            #expect(object["metadata"]?["name"] == "safe")
            #expect(object["data"]?["greeting"]?.stringValue == hostile)
            #expect(object["metadata"]?["labels"]?["team"] == "team-{{ greeting }}")
            // The YAML preview reads back as the same object.
            let yaml = try #require(rendered["data"]?["yaml"]?.stringValue)
            #expect(try JSONValue(yaml: yaml) == object)

            let (_, applied) = try await cluster.send(
                .POST, "/templates/\(id)/apply",
                ["namespace": "default", "values": ["name": "safe", "greeting": .string(hostile)]])
            #expect(applied["code"]?.intValue == 0, "\(applied)")
            try await cluster.withSimClient { client in
                let configMap = try await client.get(
                    ResourceCatalog.standard.resource(named: "configmaps")!, namespace: "default", name: "safe")
                #expect(configMap["data"]?["greeting"]?.stringValue == hostile)
                await #expect(throws: KubeError.self) {
                    try await client.get(
                        ResourceCatalog.standard.resource(named: "secrets")!, namespace: "default", name: "stolen")
                }
            }
        }
    }

    @Test("apply of the built-in Deployment and Service creates both in the namespace, as the caller")
    func applyBuiltIn() async throws {
        try await SimCluster.with { cluster in
            let body: JSONValue = [
                "namespace": "demo", "values": ["name": "storefront", "image": "nginx:1.27", "replicas": 2],
            ]
            let (_, checked) = try await cluster.send(.POST, "/templates/-1/apply", body.merging(["dry_run": true]))
            #expect(checked["code"]?.intValue == 0 && checked["data"]?["applied"] == false, "\(checked)")
            let (_, applied) = try await cluster.send(.POST, "/templates/-1/apply", body)
            #expect(applied["code"]?.intValue == 0, "\(applied)")
            #expect(applied["data"]?["applied"] == true)
            let results = applied["data"]?["results"]?.arrayValue ?? []
            #expect(results.map { $0["kind"] } == ["Deployment", "Service"])
            #expect(results.allSatisfy { $0["ok"] == true && $0["namespace"] == "demo" && $0["name"] == "storefront" })
            try await cluster.withSimClient { client in
                let deployment = try await client.get(
                    ResourceCatalog.standard.resource(named: "deployments")!, namespace: "demo", name: "storefront")
                #expect(deployment["spec"]?["replicas"] == 2)
                let service = try await client.get(
                    ResourceCatalog.standard.resource(named: "services")!, namespace: "demo", name: "storefront")
                #expect(service["spec"]?["ports"]?[0]?["port"] == 80)
            }
            // Again: both exist now, so the dry run fails and nothing changes.
            let (_, again) = try await cluster.send(.POST, "/templates/-1/apply", body)
            #expect(again["code"]?.intValue == 1007)
            #expect(again["data"]?["results"]?.arrayValue?.allSatisfy { $0["ok"] == false } == true)

            let (_, missing) = try await cluster.send(
                .POST, "/templates/-1/apply", ["namespace": "no-such-ns", "values": ["name": "x", "image": "nginx"]])
            #expect(missing["code"]?.intValue == 1003)
        }
    }

    @Test("one invalid object fails the dry run and none is created")
    func dryRunFirst() async throws {
        try await SimCluster.with { cluster in
            let manifests = """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: "{{ name }}-config"
                data:
                  a: b
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: "{{ name }}"
                spec:
                  selector:
                    matchLabels:
                      app: one
                  template:
                    metadata:
                      labels:
                        app: another
                    spec:
                      containers:
                        - name: c
                          image: nginx
                """
            var template = Self.template("half-broken", manifests: manifests)
            template["parameters"] = [["name": "name", "type": "string", "required": true]]
            let (_, created) = try await cluster.gateway.http(.POST, "/templates", token: cluster.admin, body: template)
            let id = try #require(created["data"]?["id"]?.intValue, "\(created)")
            let (_, refused) = try await cluster.send(
                .POST, "/templates/\(id)/apply", ["namespace": "default", "values": ["name": "pair"]])
            #expect(refused["code"]?.intValue == 1007, "\(refused)")
            let results = refused["data"]?["results"]?.arrayValue ?? []
            #expect(results.map { $0["ok"] } == [true, false])
            #expect(results.last?["code"]?.intValue == 1007)
            #expect(results.last?["message"]?.stringValue?.contains("selector") == true)
            try await cluster.withSimClient { client in
                await #expect(throws: KubeError.self) {
                    try await client.get(
                        ResourceCatalog.standard.resource(named: "configmaps")!, namespace: "default",
                        name: "pair-config")
                }
            }
        }
    }

    @Test("a viewer, or an operator scoped to another cluster, cannot apply")
    func applyNeedsRoleAndScope() async throws {
        try await SimCluster.with { cluster in
            let body: JSONValue = ["namespace": "default", "values": ["name": "denied"]]
            let viewer = try await cluster.gateway.token(.viewer)
            let (_, byViewer) = try await cluster.send(.POST, "/templates/-3/apply", body, token: viewer)
            #expect(byViewer["code"]?.intValue == 1005)
            let elsewhere = try await cluster.gateway.token(.operator, clusters: .only(["999"]))
            let (_, outOfScope) = try await cluster.send(.POST, "/templates/-3/apply", body, token: elsewhere)
            #expect(outOfScope["code"]?.intValue == 1005)
            let (_, configMap) = try await cluster.get("/configmaps/denied", ["namespace": "default"])
            #expect(configMap["code"]?.intValue == 1004)
            let operatorToken = try await cluster.gateway.token(.operator)
            let (_, allowed) = try await cluster.send(.POST, "/templates/-3/apply", body, token: operatorToken)
            #expect(allowed["code"]?.intValue == 0, "\(allowed)")
        }
    }
}

extension TemplateTests {
    @Test("apply acts as the calling user upstream: one the cluster's RBAC does not allow gets 1005 and nothing")
    func applyAsCaller() async throws {
        // Role groups nobody binds: the impersonated user has no rights in the cluster.
        try await SimCluster.with(configure: { $0.impersonation.roleGroupPrefix = "unbound:" }) { cluster in
            let mallory = try await cluster.gateway.gateway.tokens.issue(
                subject: "mallory", role: .operator, clusters: .all, ttl: .seconds(600))
            let (_, refused) = try await cluster.send(
                .POST, "/templates/-3/apply", ["namespace": "default", "values": ["name": "as-mallory"]], token: mallory
            )
            #expect(refused["code"]?.intValue == 1005, "\(refused)")
            #expect(refused["msg"]?.stringValue?.contains("mallory") == true, "\(refused)")
            try await cluster.withSimClient { client in
                await #expect(throws: KubeError.self) {
                    try await client.get(
                        ResourceCatalog.standard.resource(named: "configmaps")!, namespace: "default",
                        name: "as-mallory")
                }
            }
        }
    }
}

extension JSONValue {
    fileprivate func merging(_ other: [String: JSONValue]) -> JSONValue {
        .object((objectValue ?? [:]).merging(other) { _, new in new })
    }
}
