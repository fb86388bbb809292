import Foundation
import KubeSim
import Testing

/// `kubegale sim --state-dir`: the store survives a restart, a watch resumes across it, bad files are clear errors.
@Suite(.serialized) struct PersistenceTests {
    static func directory() -> String {
        NSTemporaryDirectory() + "kubesim-state-\(UUID().uuidString)"
    }

    static func configuration(_ directory: String, seed: Bool = false, historyWindow: Int = 2000)
        -> KubeSimServer.Configuration
    {
        var configuration = SimFixture.configuration(seed: seed)
        configuration.stateDirectory = directory
        configuration.stateSaveInterval = .milliseconds(50)
        configuration.historyWindow = historyWindow
        return configuration
    }

    static func stateFile(_ directory: String) -> String {
        (directory as NSString).appendingPathComponent(KubeSimServer.stateFileName)
    }

    @Test func restartOnTheSameDirectoryKeepsObjectsAndVersions() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (kept, version) = try await SimFixture.withServer(Self.configuration(directory, seed: true)) { server in
            let kept = try server.api.create(
                ResourceCatalog.configMaps, namespace: "demo",
                object: ["metadata": ["name": "kept"], "data": ["answer": "42"]])
            _ = try server.api.delete(ResourceCatalog.deployments, namespace: "demo", name: "api")
            return (kept, server.store.currentResourceVersion)
        }
        try await SimFixture.withServer(Self.configuration(directory, seed: true)) { server in
            #expect(server.store.currentResourceVersion >= version)
            #expect(try server.store.get(ResourceCatalog.configMaps, namespace: "demo", name: "kept") == kept)
            #expect(
                server.store.find(ResourceCatalog.deployments, namespace: "demo", name: "api") == nil,
                "the demo was seeded again")
            #expect(server.store.find(ResourceCatalog.deployments, namespace: "demo", name: "nginx") != nil)
            let answer = try await SimClient(server).get("/api/v1/namespaces/demo/configmaps/kept")
            #expect(answer.status == 200)
            #expect(answer.json[path: ["metadata", "resourceVersion"]] == kept[path: ["metadata", "resourceVersion"]])
            #expect(answer.json[path: ["metadata", "uid"]] == kept[path: ["metadata", "uid"]])
            let next = try server.api.create(
                ResourceCatalog.configMaps, namespace: "demo", object: ["metadata": ["name": "after"]])
            let nextVersion = try #require(
                next[path: ["metadata", "resourceVersion"]]?.stringValue.flatMap { Int($0) })
            #expect(nextVersion > version)
        }
    }

    @Test func watchFromAnOldVersionResumesAcrossARestart() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let before = try await SimFixture.withServer(Self.configuration(directory)) { server in
            try server.api.create(ResourceCatalog.namespaces, namespace: nil, object: ["metadata": ["name": "default"]])
            try server.api.create(ResourceCatalog.configMaps, namespace: "default", object: ["metadata": ["name": "a"]])
            let before = server.store.currentResourceVersion
            try server.api.create(ResourceCatalog.configMaps, namespace: "default", object: ["metadata": ["name": "b"]])
            try server.api.patch(
                ResourceCatalog.configMaps, namespace: "default", name: "b", format: .merge,
                patch: ["data": ["changed": "yes"]])
            return before
        }
        try await SimFixture.withServer(Self.configuration(directory)) { server in
            let client = SimClient(server)
            let (events, task) = client.watch("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=\(before)")
            defer { task.cancel() }
            var seen: [String] = []
            for await event in events {
                seen.append(
                    "\(event["type"]?.stringValue ?? "") \(event[path: ["object", "metadata", "name"]]?.stringValue ?? "")"
                )
                if seen.count == 2 { break }
            }
            #expect(seen == ["ADDED b", "MODIFIED b"])
            let (ahead, aheadTask) = client.watch(
                "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=\(server.store.currentResourceVersion + 1000)"
            )
            defer { aheadTask.cancel() }
            let refused = await ahead.first(timeout: .seconds(10)) { _ in true }
            #expect(refused?["type"] == "ERROR")
            #expect(refused?[path: ["object", "code"]] == 504)
        }
        try await SimFixture.withServer(Self.configuration(directory, historyWindow: 1)) { server in
            let (events, task) = SimClient(server).watch(
                "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=\(before)")
            defer { task.cancel() }
            let expired = await events.first(timeout: .seconds(10)) { _ in true }
            #expect(expired?["type"] == "ERROR")
            #expect(expired?[path: ["object", "code"]] == 410)
        }
    }

    @Test func changesAreSavedWhileRunning() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await SimFixture.withServer(Self.configuration(directory)) { server in
            try server.api.create(ResourceCatalog.namespaces, namespace: nil, object: ["metadata": ["name": "default"]])
            try server.api.create(
                ResourceCatalog.configMaps, namespace: "default", object: ["metadata": ["name": "early"]])
            let saved = await SimFixture.eventually {
                guard let data = FileManager.default.contents(atPath: Self.stateFile(directory)),
                    let document = try? JSONValue(parsing: Array(data))
                else { return false }
                let names = (document[path: ["resources", "v1/configmaps"]]?.arrayValue ?? []).compactMap {
                    $0[path: ["metadata", "name"]]?.stringValue
                }
                return names.contains("early")
                    && document["resourceVersion"]?.intValue == Int64(server.store.currentResourceVersion)
            }
            #expect(saved)
            let attributes = try FileManager.default.attributesOfItem(atPath: Self.stateFile(directory))
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        }
    }

    @Test func anUnusableDirectoryFailsTheStart() async throws {
        let directory = "/proc/kubesim-state-\(UUID().uuidString)"
        let server = KubeSimServer(configuration: Self.configuration(directory))
        do {
            try await server.start()
            Issue.record("started with a state directory that cannot be created")
            await server.stop()
        } catch let error as StateDirectoryError {
            #expect(error.description.contains("cannot be saved to \(directory)"), "\(error)")
            #expect(server.port == nil)
        }
    }

    @Test func corruptStateFilesAreClearErrors() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = Self.stateFile(directory)
        let cases: [(String, String)] = [
            ("{\"kind\": \"KubeSimState\", \"version\": 1, \"resour", "not JSON"),
            ("{\"kind\": \"Pod\"}", "not a KubeSim state file"),
            (
                "{\"kind\":\"KubeSimState\",\"version\":1,\"resourceVersion\":5,\"compactedRevision\":0,\"resources\":{\"v1/widgets\":[]},\"history\":[]}",
                "unknown resource v1/widgets"
            ),
            (
                "{\"kind\":\"KubeSimState\",\"version\":1,\"resourceVersion\":5,\"compactedRevision\":0,\"resources\":{\"v1/configmaps\":[{\"metadata\":{\"name\":\"x\",\"namespace\":\"default\",\"resourceVersion\":\"9\"}}]},\"history\":[]}",
                "newer than the store's 5"
            ),
        ]
        for (content, reason) in cases {
            try Data(content.utf8).write(to: URL(fileURLWithPath: path))
            let server = KubeSimServer(configuration: Self.configuration(directory))
            do {
                try await server.start()
                Issue.record("started on a corrupt state file (\(reason))")
                await server.stop()
            } catch let error as StateDirectoryError {
                #expect(error.path == path)
                #expect(error.description.contains("corrupt") && error.description.contains(reason), "\(error)")
                #expect(server.port == nil)
            }
        }
    }
}
