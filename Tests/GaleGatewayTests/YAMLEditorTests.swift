import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import KubeClient
import NIOHTTP1
import NIOWebSocket
import Testing
import WSCore

/// Issue 15 point 2: the YAML editor — objects as clean YAML, a dry run that places refused
/// fields, a diff against the live object, and an apply to the version the edit started from.
@Suite("YAML editor")
struct YAMLEditorTests {
    static func configMap(_ name: String, _ value: String) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": [
                "name": .string(name),
                "managedFields": [["manager": "kubectl", "operation": "Update", "apiVersion": "v1"]],
            ],
            "data": ["k": .string(value), "script": "line one\nline two: with a colon\n"],
        ]
    }

    func yaml(_ cluster: SimCluster, _ path: String, _ query: [String: String] = [:], token: String? = nil)
        async throws -> (text: String, version: String, envelope: JSONValue)
    {
        var query = query
        query["namespace"] = query["namespace"] ?? "default"
        query["format"] = "yaml"
        let (_, got) = try await cluster.get(path, query, token: token)
        let text = try #require(got["data"]?["yaml"]?.stringValue, "\(got)")
        return (text, got["data"]?["resourceVersion"]?.stringValue ?? "", got)
    }

    @Test("get as YAML: managedFields gone unless asked for, the same object otherwise, over HTTP and a request frame")
    func getAsYAML() async throws {
        try await SimCluster.with { cluster in
            let (_, created) = try await cluster.send(
                .POST, "/configmaps", ["namespace": "default", "content": Self.configMap("editor", "a")])
            #expect(created["code"]?.intValue == 0)
            let (_, json) = try await cluster.get("/configmaps/editor", ["namespace": "default"])
            let object = try #require(json["data"])
            #expect(object["metadata"]?["managedFields"] != nil, "the simulator keeps managedFields: \(object)")

            let (text, version, _) = try await yaml(cluster, "/configmaps/editor")
            #expect(!text.contains("managedFields"))
            #expect(text.hasPrefix("apiVersion: v1\nkind: ConfigMap\nmetadata:\n"))
            #expect(version == object["metadata"]?["resourceVersion"]?.stringValue)
            var expected = object
            expected["metadata"]?["managedFields"] = nil
            #expect(try JSONValue(yaml: text) == expected)

            let (kept, _, _) = try await yaml(cluster, "/configmaps/editor", ["managed_fields": "true"])
            #expect(try JSONValue(yaml: kept) == object)

            let (_, wrong) = try await cluster.get("/configmaps/editor", ["namespace": "default", "format": "xml"])
            #expect(wrong["code"]?.intValue == 1001)

            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let overSocket = try await socket.request(
                    "GET", "/configmaps/editor?cluster_id=\(cluster.id)&namespace=default&format=yaml")
                #expect(overSocket.code == .ok)
                #expect(overSocket.data["yaml"]?.stringValue == text)
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test("a viewer gets a Secret's YAML without its values where the gateway redacts them")
    func secretsStayRedacted() async throws {
        try await SimCluster.with(settings: ["impersonate": false]) { cluster in
            let secret: JSONValue = [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "creds"],
                "stringData": ["password": "hunter2"],
            ]
            let (_, created) = try await cluster.send(.POST, "/secrets", ["namespace": "default", "content": secret])
            #expect(created["code"]?.intValue == 0, "\(created)")
            let viewer = try await cluster.gateway.token(.viewer)
            let (text, _, _) = try await yaml(cluster, "/secrets/creds", token: viewer)
            #expect(!text.contains("hunter2"))
            #expect(!text.contains(Data("hunter2".utf8).base64EncodedString()))
            // The key stays, its value is emptied (under data, or stringData as the simulator keeps it).
            let parsed = try JSONValue(yaml: text)
            let values = (parsed["data"]?.objectValue ?? [:]).merging(parsed["stringData"]?.objectValue ?? [:]) {
                a, _ in a
            }
            #expect(values == ["password": ""], "\(text)")
        }
    }

    @Test("dry run of a refused edit names the field with its line and column in the text sent")
    func dryRunPlacesFields() async throws {
        try await SimCluster.with { cluster in
            let invalid = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: mismatched
                spec:
                  replicas: 1
                  selector:
                    matchLabels:
                      app: one
                  template:
                    metadata:
                      labels:
                        app: other
                    spec:
                      containers:
                        - name: web
                          image: nginx
                """
            let (_, checked) = try await cluster.send(
                .POST, "/yaml/dry-run", ["namespace": "default", "content": .string(invalid)])
            #expect(checked["code"]?.intValue == 0, "\(checked)")
            #expect(checked["data"]?["valid"] == false)
            #expect(checked["data"]?["operation"] == "create")
            let error = try #require(checked["data"]?["errors"]?[0])
            #expect(error["field"] == "spec.template.metadata.labels")
            #expect(error["line"]?.intValue == 12)
            #expect(error["column"]?.intValue == 7)
            #expect(error["message"]?.stringValue?.contains("selector") == true)
            // Nothing was created.
            let (_, missing) = try await cluster.get("/deployments/mismatched", ["namespace": "default"])
            #expect(missing["code"]?.intValue == 1004)

            let valid = invalid.replacingOccurrences(of: "app: other", with: "app: one")
            let (_, passed) = try await cluster.send(
                .POST, "/yaml/dry-run", ["namespace": "default", "content": .string(valid)])
            #expect(passed["data"]?["valid"] == true, "\(passed)")
            #expect(passed["data"]?["errors"] == [])

            let (_, broken) = try await cluster.send(
                .POST, "/yaml/dry-run", ["namespace": "default", "content": "kind: [unclosed"])
            #expect(broken["code"]?.intValue == 1001)
            let viewer = try await cluster.gateway.token(.viewer)
            let (_, refused) = try await cluster.send(
                .POST, "/yaml/dry-run", ["namespace": "default", "content": .string(valid)], token: viewer)
            #expect(refused["code"]?.intValue == 1005)
        }
    }

    @Test("the diff against the live object shows the changed lines")
    func diffShowsChanges() async throws {
        try await SimCluster.with { cluster in
            _ = try await cluster.send(
                .POST, "/configmaps", ["namespace": "default", "content": Self.configMap("differ", "before")])
            let (text, version, _) = try await yaml(cluster, "/configmaps/differ")
            let edited = text.replacingOccurrences(of: "k: before", with: "k: after")
            #expect(edited != text)
            let (_, same) = try await cluster.send(
                .POST, "/yaml/diff", ["namespace": "default", "content": .string(text)])
            #expect(same["data"]?["changed"] == false, "\(same)")
            #expect(same["data"]?["diff"] == "")
            let (_, diffed) = try await cluster.send(
                .POST, "/yaml/diff", ["namespace": "default", "content": .string(edited)])
            #expect(diffed["data"]?["changed"] == true)
            #expect(diffed["data"]?["resourceVersion"]?.stringValue == version)
            #expect(diffed["data"]?["stale"] == false)
            let diff = try #require(diffed["data"]?["diff"]?.stringValue)
            let lines = diff.split(separator: "\n").map(String.init)
            #expect(lines.prefix(2) == ["--- live", "+++ edited"])
            #expect(lines.filter { $0.hasPrefix("-") && !$0.hasPrefix("---") } == ["-  k: before"])
            #expect(lines.filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") } == ["+  k: after"])
            #expect(lines.contains { $0.hasPrefix("@@ -") })
        }
    }

    @Test("apply: the current version goes through the confirmation flow; a stale one is 1007 with the new version")
    func applyToVersion() async throws {
        try await SimCluster.with { cluster in
            _ = try await cluster.send(
                .POST, "/configmaps", ["namespace": "default", "content": Self.configMap("applied", "v1")])
            let (text, version, _) = try await yaml(cluster, "/configmaps/applied")
            let edited = text.replacingOccurrences(of: "k: v1", with: "k: v2")
            let body: JSONValue = ["namespace": "default", "content": .string(edited)]

            let (_, asked) = try await cluster.send(.PUT, "/yaml/apply", body)
            #expect(asked["code"]?.intValue == 1010, "\(asked)")
            #expect(asked["data"]?["preview"]?["diff"]?.stringValue?.contains("+  k: v2") == true)
            let (_, unchanged) = try await cluster.get("/configmaps/applied", ["namespace": "default"])
            #expect(unchanged["data"]?["data"]?["k"] == "v1")

            let done = try await cluster.confirmed(.PUT, "/yaml/apply", body)
            #expect(done["code"]?.intValue == 0, "\(done)")
            let newVersion = try #require(done["data"]?["resourceVersion"]?.stringValue)
            #expect(newVersion != version)
            let (_, changed) = try await cluster.get("/configmaps/applied", ["namespace": "default"])
            #expect(changed["data"]?["data"]?["k"] == "v2")

            // The same edit again starts from the old version: refused, with where things are now.
            let again = text.replacingOccurrences(of: "k: v1", with: "k: v3")
            let (_, stale) = try await cluster.send(
                .PUT, "/yaml/apply", ["namespace": "default", "content": .string(again)])
            #expect(stale["code"]?.intValue == 1007, "\(stale)")
            #expect(stale["data"]?["resourceVersion"]?.stringValue == newVersion)
            #expect(stale["data"]?["yaml"]?.stringValue?.contains("k: v2") == true)
            let (_, kept) = try await cluster.get("/configmaps/applied", ["namespace": "default"])
            #expect(kept["data"]?["data"]?["k"] == "v2")

            let unversioned = edited.split(separator: "\n").filter { !$0.contains("resourceVersion:") }.joined(
                separator: "\n")
            let (_, missing) = try await cluster.send(
                .PUT, "/yaml/apply", ["namespace": "default", "content": .string(unversioned)])
            #expect(missing["code"]?.intValue == 1001)
        }
    }
}
