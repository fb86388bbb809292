import Testing

@testable import KubeClient

@Suite("KubeJSON, catalog and errors")
struct KubeJSONTests {
    @Test func roundTripKeepsIntegersExact() throws {
        let text = #"{"a":9007199254740993,"b":1.5,"c":[true,null,"x"],"d":{"e":-3},"f":1e3}"#
        let value = try KubeJSON(parsing: text)
        #expect(value["a"] == .int(9_007_199_254_740_993))
        #expect(value["b"]?.doubleValue == 1.5)
        #expect(value["c"]?[0]?.boolValue == true)
        #expect(value["c"]?[1]?.isNull == true)
        #expect(value["c"]?[5] == nil)
        #expect(value["d"]?["e"]?.intValue == -3)
        #expect(value["f"]?.intValue == 1000)
        let exact = try KubeJSON(parsing: #"{"a":9007199254740993,"b":1.5,"c":[true,null,"x"]}"#)
        #expect(try KubeJSON(parsing: exact.description) == exact)
        #expect(value.description.hasPrefix(#"{"a":9007199254740993,"b":1.5"#))
    }

    @Test func literalsAndMutation() {
        var object: KubeJSON = ["metadata": ["name": "web"]]
        object["spec"] = ["replicas": 3]
        object["metadata"]?["labels"] = ["app": "web"]
        #expect(object["metadata"]?["name"]?.stringValue == "web")
        #expect(object["spec"]?["replicas"]?.intValue == 3)
        #expect(object["metadata"]?["labels"]?["app"] == "web")
        object["spec"] = nil
        #expect(object["spec"] == nil)
    }

    @Test func catalogLookups() {
        let catalog = ResourceCatalog.standard
        #expect(catalog.resources.count == 26)
        #expect(catalog.resource(named: "deploy")?.plural == "deployments")
        #expect(catalog.resource(named: "Deployment")?.group == "apps")
        #expect(catalog.resource(named: "deployments.apps")?.kind == "Deployment")
        #expect(catalog.resource(named: "cj")?.apiVersion == "batch/v1")
        #expect(catalog.resource(named: "ns")?.namespaced == false)
        #expect(
            catalog.resource(named: "pvc")?.collectionPath(namespace: "x")
                == "/api/v1/namespaces/x/persistentvolumeclaims")
        #expect(
            catalog.resource(named: "clusterroles")?.collectionPath(namespace: "x")
                == "/apis/rbac.authorization.k8s.io/v1/clusterroles")
        #expect(catalog.resource(apiVersion: "networking.k8s.io/v1", kind: "Ingress")?.plural == "ingresses")
        #expect(catalog.resource(named: "nosuch") == nil)
        #expect(
            catalog.groupVersions == [
                "v1", "apps/v1", "batch/v1", "networking.k8s.io/v1", "storage.k8s.io/v1",
                "rbac.authorization.k8s.io/v1",
            ])
    }

    @Test func discoveryConfirmsAndUpdates() throws {
        var catalog = ResourceCatalog.standard
        var report = ResourceCatalog.DiscoveryReport()
        let batch = try KubeJSON(
            parsing:
                #"{"kind":"APIResourceList","groupVersion":"batch/v1","resources":[{"name":"jobs","singularName":"job","namespaced":true,"kind":"Job","verbs":["get","list","watch"],"shortNames":["jb"]},{"name":"jobs/status","namespaced":true,"kind":"Job","verbs":["get"]}]}"#
        )
        catalog.apply(discovery: batch, groupVersion: "batch/v1", report: &report)
        #expect(report.confirmed == ["jobs.batch"])
        #expect(report.updated == ["jobs.batch"])
        #expect(report.missing == ["cronjobs.batch"])
        #expect(catalog.resource(named: "jb")?.verbs == ["get", "list", "watch"])
    }

    @Test func errorsFromStatus() {
        let conflict = KubeError.fromResponse(
            code: 409,
            body: Array(
                #"{"kind":"Status","status":"Failure","message":"the object has been modified","reason":"Conflict","code":409}"#
                    .utf8))
        #expect(conflict.isConflict)
        #expect(!conflict.isNotFound)
        let exists = KubeError.fromResponse(
            code: 409,
            body: Array(
                #"{"kind":"Status","message":"pods \"a\" already exists","reason":"AlreadyExists","code":409}"#.utf8))
        #expect(exists.isAlreadyExists && !exists.isConflict)
        let forbidden = KubeError.fromResponse(code: 403, body: [])
        #expect(forbidden.isForbidden)
        #expect(forbidden.message == "the server answered HTTP 403 (Forbidden)")
        // A body that is not a Status (a proxy's page, a trace) is never quoted.
        let proxied = KubeError.fromResponse(
            code: 502, body: Array("<html>nginx at /srv/build/internal/trace.go:42</html>".utf8))
        #expect(proxied.message == "the server answered HTTP 502")
        #expect(KubeError.fromResponse(code: 410, body: []).isGone)
        #expect(KubeError.fromResponse(code: 422, body: []).isInvalid)
        #expect(KubeError.unreachable("connection refused").description == "API server unreachable: connection refused")
    }
}
