import Foundation
import Testing

@testable import KubeClient

/// REST verbs, watch and logs over real HTTP on loopback.
@Suite("REST, watch and logs")
struct RESTTests {
    static let catalog = ResourceCatalog.standard

    static func withClient<T: Sendable>(_ body: @Sendable (KubeClient, TestAPIServer.Log) async throws -> T)
        async throws
        -> T
    {
        try await TestAPIServer(tls: nil, token: "t").run { port, log in
            let target = KubeTarget(server: URL(string: "http://127.0.0.1:\(port)")!, credentials: .bearerToken("t"))
            let client = try KubeClient(target: target)
            do {
                let result = try await body(client, log)
                try await client.shutdown()
                return result
            } catch {
                try await client.shutdown()
                throw error
            }
        }
    }

    @Test func verbsSendTheRightRequests() async throws {
        let deployments = try #require(Self.catalog.resource(named: "deploy"))
        let nodes = try #require(Self.catalog.resource(named: "Node"))
        try await Self.withClient { client, log in
            _ = try await client.list(
                deployments, namespace: "team a",
                options: .init(labelSelector: "app in (web,api),tier!=db", limit: 50, continueToken: "abc+/="))
            _ = try await client.create(deployments, namespace: "ns", object: ["kind": "Deployment"], dryRun: true)
            _ = try await client.replace(nodes, namespace: "ignored", name: "node-1", object: ["kind": "Node"])
            _ = try await client.patch(
                deployments, namespace: "ns", name: "web", patch: [["op": "remove"]], type: .json)
            _ = try await client.patch(
                deployments, namespace: "ns", name: "web", patch: ["a": 1], type: .strategicMerge)
            try await client.updateScale(deployments, namespace: "ns", name: "web", replicas: 5)
            try await client.delete(
                deployments, namespace: "ns", name: "web",
                options: .init(propagationPolicy: .foreground, gracePeriodSeconds: 0, dryRun: true))
            try await client.evict(namespace: "ns", pod: "web-1")
            _ = try await client.nodeMetrics()
            _ = try await client.podMetrics(namespace: "ns", name: "p")

            let seen = log.all
            #expect(
                seen.map(\.method) == ["GET", "POST", "PUT", "PATCH", "PATCH", "PATCH", "DELETE", "POST", "GET", "GET"])
            #expect(seen[0].path == "/apis/apps/v1/namespaces/team%20a/deployments")
            #expect(
                seen[0].query
                    == "labelSelector=app%20in%20%28web%2Capi%29%2Ctier%21%3Ddb&limit=50&continue=abc%2B%2F%3D")
            #expect(seen[1].query == "dryRun=All")
            #expect(seen[1].path == "/apis/apps/v1/namespaces/ns/deployments")
            #expect(seen[2].path == "/api/v1/nodes/node-1")
            #expect(seen[3].contentType == "application/json-patch+json")
            #expect(seen[4].contentType == "application/strategic-merge-patch+json")
            #expect(seen[5].path == "/apis/apps/v1/namespaces/ns/deployments/web/scale")
            #expect(seen[5].contentType == "application/merge-patch+json")
            #expect(seen[5].body == #"{"spec":{"replicas":5}}"#)
            let deleteOptions = try KubeJSON(parsing: seen[6].body)
            #expect(deleteOptions["propagationPolicy"] == "Foreground")
            #expect(deleteOptions["gracePeriodSeconds"] == 0)
            #expect(deleteOptions["dryRun"] == ["All"])
            #expect(seen[6].query == "dryRun=All")
            #expect(seen[7].path == "/api/v1/namespaces/ns/pods/web-1/eviction")
            let eviction = try KubeJSON(parsing: seen[7].body)
            #expect(eviction["apiVersion"] == "policy/v1")
            #expect(eviction["kind"] == "Eviction")
            #expect(eviction["metadata"]?["name"] == "web-1")
            #expect(seen[8].path == "/apis/metrics.k8s.io/v1beta1/nodes")
            #expect(seen[9].path == "/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/p")
            #expect(seen.allSatisfy { $0.authorization == "Bearer t" })
        }
    }

    @Test func statusErrorsKeepTheServersMessage() async throws {
        let pods = try #require(Self.catalog.resource(named: "pods"))
        try await Self.withClient { client, _ in
            let missingNamespace = await #expect(throws: KubeError.self) {
                try await client.get(pods, namespace: "missing", name: "web-1")
            }
            #expect(missingNamespace?.isNotFound == true)
            #expect(missingNamespace?.isNamespaceNotFound == true)
            #expect(missingNamespace?.message == #"namespaces "missing" not found"#)

            let missingPod = await #expect(throws: KubeError.self) {
                try await client.get(pods, namespace: "default", name: "nope")
            }
            #expect(missingPod?.isNotFound == true)
            #expect(missingPod?.isNamespaceNotFound == false)
            #expect(missingPod?.detailsKind == "pods")
            #expect(missingPod?.description == #"pods "nope" not found (NotFound, HTTP 404)"#)

            let proxy = await #expect(throws: KubeError.self) { try await client.get(path: "/proxy-html") }
            #expect(proxy?.code == 502)
            // Not a Status: the body (a proxy's page) is never quoted.
            #expect(proxy?.message == "the server answered HTTP 502")
        }
    }

    @Test func discoveryAgainstTheServer() async throws {
        try await Self.withClient { client, _ in
            let (catalog, report) = try await client.discoverCatalog()
            #expect(report.confirmed == ["pods", "namespaces", "deployments.apps"])
            #expect(report.updated.isEmpty)
            #expect(report.missing.contains("services"))
            #expect(report.missing.contains("jobs.batch"))
            #expect(catalog.resource(named: "po")?.verbs.contains("watch") == true)
        }
    }

    @Test func unreachableServer() async throws {
        // Port 1 on loopback refuses connections.
        let client = try KubeClient(target: KubeTarget(server: URL(string: "http://127.0.0.1:1")!))
        let error = await #expect(throws: KubeError.self) { try await client.version() }
        #expect(error?.isUnreachable == true)
        try await client.shutdown()
    }

    @Test func watchEventsAcrossChunks() async throws {
        let pods = try #require(Self.catalog.resource(named: "po"))
        try await Self.withClient { client, log in
            let stream = try await client.watch(pods, namespace: "default", options: .init(resourceVersion: "100"))
            var events: [WatchEvent] = []
            for try await event in stream { events.append(event) }
            #expect(events.map(\.type) == [.added, .modified, .bookmark, .deleted])
            #expect(events.map(\.resourceVersion) == ["101", "102", "103", "104"])
            #expect(events[1].object["metadata"]?["labels"]?["app"] == "wëb")
            #expect(log.all.last?.query == "watch=true&resourceVersion=100&allowWatchBookmarks=true")
        }
    }

    @Test func watchGoneIsADistinctError() async throws {
        let pods = try #require(Self.catalog.resource(named: "pods"))
        try await Self.withClient { client, _ in
            let stream = try await client.watch(pods, namespace: "old", options: .init(resourceVersion: "5"))
            var received: [WatchEvent.EventType] = []
            let error = await #expect(throws: KubeError.self) {
                for try await event in stream { received.append(event.type) }
            }
            #expect(received == [.added])
            #expect(error?.isGone == true)
            #expect(error?.message == "too old resource version: 5 (100)")

            let notFound = await #expect(throws: KubeError.self) { try await client.watch(pods, namespace: "missing") }
            #expect(notFound?.isNamespaceNotFound == true)
        }
    }

    @Test func logLinesAndChunks() async throws {
        try await Self.withClient { client, log in
            let options = LogOptions(
                container: "app", follow: true, tailLines: 10, sinceSeconds: 60, timestamps: true, previous: true,
                limitBytes: 4096)
            var lines: [String] = []
            for try await line in try await client.logs(namespace: "default", pod: "web-1", options: options).lines() {
                lines.append(line)
            }
            #expect(lines == (1...5).map { "line \($0) of the log" } + ["partial"])
            #expect(
                log.all.last?.query
                    == "container=app&follow=true&tailLines=10&sinceSeconds=60&timestamps=true&previous=true&limitBytes=4096"
            )

            var bytes: [UInt8] = []
            var chunks = 0
            for try await chunk in try await client.logs(namespace: "default", pod: "web-1") {
                bytes += chunk
                chunks += 1
            }
            #expect(String(decoding: bytes, as: UTF8.self).hasSuffix("line 5 of the log\npartial"))
            #expect(chunks > 1)

            var short: [String] = []
            for try await line in try await client.logs(namespace: "default", pod: "web-1").lines(maxLineBytes: 8) {
                short.append(line)
            }
            #expect(short.prefix(3) == ["line 1 o", "f the lo", "g"])
        }
    }
}
