import Foundation
import KubeSim
import NIOHTTP1
import Testing

@Suite(.serialized) struct WatchTests {
    @Test func watchFromResourceVersionSeesChangesAndBookmarks() async throws {
        try await SimFixture.withServer { server in
            let client = SimClient(server)
            let list = try await client.get("/api/v1/namespaces/demo/configmaps")
            let version = try #require(list.json[path: ["metadata", "resourceVersion"]]?.stringValue)
            let (events, task) = client.watch("/api/v1/namespaces/demo/configmaps?watch=1&resourceVersion=\(version)&allowWatchBookmarks=true")
            defer { task.cancel() }
            #expect(await SimFixture.eventually { server.faults.openWatchCount(ResourceCatalog.configMaps) == 1 })
            _ = try await client.request(.POST, "/api/v1/namespaces/demo/configmaps", body: ["metadata": ["name": "watched"]])
            let added = await events.first(timeout: .seconds(10)) { $0["type"] == "ADDED" }
            #expect(added?[path: ["object", "metadata", "name"]] == "watched")
            let bookmark = await events.first(timeout: .seconds(10)) { $0["type"] == "BOOKMARK" }
            #expect(bookmark?[path: ["object", "kind"]] == "ConfigMap")
            #expect(Int(bookmark?[path: ["object", "metadata", "resourceVersion"]]?.stringValue ?? "") ?? 0 > Int(version)!)
            task.cancel()
            #expect(await SimFixture.eventually { server.faults.openWatchCount(ResourceCatalog.configMaps) == 0 })
        }
    }

    @Test func expiredResourceVersionGives410() async throws {
        try await SimFixture.withServer { server in
            let client = SimClient(server)
            let version = server.store.currentResourceVersion
            _ = try await client.request(.POST, "/api/v1/namespaces/demo/configmaps", body: ["metadata": ["name": "later"]])
            server.faults.compactHistory()
            let (events, task) = client.watch("/api/v1/namespaces/demo/configmaps?watch=true&resourceVersion=\(version)")
            defer { task.cancel() }
            let error = await events.first(timeout: .seconds(10)) { $0["type"] == "ERROR" }
            #expect(error?[path: ["object", "code"]] == 410)
            #expect(error?[path: ["object", "reason"]] == "Expired")
        }
    }

    @Test func faultsDropWatchesAndFailRequests() async throws {
        try await SimFixture.withServer { server in
            let client = SimClient(server)
            let (_, task) = client.watch("/api/v1/pods?watch=1")
            defer { task.cancel() }
            #expect(await SimFixture.eventually { server.faults.openWatchCount(ResourceCatalog.pods) == 1 })
            server.faults.dropAllWatches()
            #expect(server.faults.openWatchCount() == 0)
            _ = await task.value
            server.faults.failNextRequests(2, code: 503)
            var statuses: [Int] = []
            for _ in 0..<3 { statuses.append(try await client.get("/api/v1/pods").status) }
            #expect(statuses == [503, 503, 200])
            server.faults.expireNextWatches()
            let (events, second) = client.watch("/api/v1/pods?watch=1&resourceVersion=\(server.store.currentResourceVersion)")
            defer { second.cancel() }
            #expect(await events.first(timeout: .seconds(10)) { $0["type"] == "ERROR" }?[path: ["object", "code"]] == 410)
        }
    }

    @Test func restartKeepsPortAndState() async throws {
        try await SimFixture.withServer { server in
            let client = SimClient(server)
            let port = server.port
            _ = try await client.request(.POST, "/api/v1/namespaces/demo/configmaps", body: ["metadata": ["name": "kept"]])
            let (events, task) = client.watch("/api/v1/namespaces/demo/configmaps?watch=1")
            defer { task.cancel() }
            #expect(await SimFixture.eventually { server.faults.openWatchCount(ResourceCatalog.configMaps) == 1 })
            try await server.restart()
            #expect(server.port == port)
            _ = await task.value
            _ = events
            // A connection pooled before the restart can be reset on its first use after it, as
            // with any server that restarts; the GET is asked again then, as Go's HTTP transport
            // retries an idempotent request that failed on a reused connection.
            #expect(
                await SimFixture.eventually(timeout: .seconds(5)) {
                    (try? await client.get("/api/v1/namespaces/demo/configmaps/kept").status) == 200
                })
        }
    }
}
