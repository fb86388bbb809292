import KubeSim
import Testing

@Suite struct StoreTests {
    func makeStore(window: Int = 100) throws -> ObjectStore {
        let store = ObjectStore(configuration: .init(historyWindow: window))
        try store.create(ResourceCatalog.namespaces, namespace: nil, object: ["metadata": ["name": "demo"]])
        return store
    }

    @Test func createFillsMetadataAndRejectsDuplicates() throws {
        let store = try makeStore()
        let created = try store.create(ResourceCatalog.configMaps, namespace: "demo", object: ["metadata": ["name": "a"], "data": ["k": "v"]])
        #expect(created["kind"] == "ConfigMap")
        #expect(created["apiVersion"] == "v1")
        #expect(created[path: ["metadata", "uid"]]?.stringValue?.count == 36)
        #expect(created[path: ["metadata", "resourceVersion"]] == .string(String(store.currentResourceVersion)))
        #expect(created[path: ["metadata", "creationTimestamp"]] != nil)
        #expect(throws: KubeStatusError.self) {
            try store.create(ResourceCatalog.configMaps, namespace: "demo", object: ["metadata": ["name": "a"]])
        }
        let error = #expect(throws: KubeStatusError.self) {
            try store.create(ResourceCatalog.configMaps, namespace: "missing", object: ["metadata": ["name": "a"]])
        }
        #expect(error?.code == 404)
        #expect(error?.details?["kind"] == "namespaces")
    }

    @Test func generateNameAndDryRun() throws {
        let store = try makeStore()
        let before = store.currentResourceVersion
        let dry = try store.create(ResourceCatalog.configMaps, namespace: "demo", object: ["metadata": ["generateName": "cfg-"]], dryRun: true)
        #expect(dry[path: ["metadata", "name"]]?.stringValue?.hasPrefix("cfg-") == true)
        #expect(store.currentResourceVersion == before)
        #expect(store.list(ResourceCatalog.configMaps).items.isEmpty)
    }

    @Test func updateConflictsOnStaleVersionAndBumpsGeneration() throws {
        let store = try makeStore()
        let created = try store.create(ResourceCatalog.deployments, namespace: "demo", object: ["metadata": ["name": "d"], "spec": ["replicas": 1]])
        var changed = created
        changed[path: ["spec", "replicas"]] = 2
        let updated = try store.update(ResourceCatalog.deployments, namespace: "demo", name: "d", object: changed)
        #expect(updated[path: ["metadata", "generation"]] == 2)
        #expect(throws: KubeStatusError.self) {
            try store.update(ResourceCatalog.deployments, namespace: "demo", name: "d", object: changed)
        }
        let version = store.currentResourceVersion
        var same = updated
        same[path: ["metadata", "resourceVersion"]] = nil
        try store.update(ResourceCatalog.deployments, namespace: "demo", name: "d", object: same)
        #expect(store.currentResourceVersion == version, "a no-op update must not create a version")
    }

    @Test func watchReplaysHistoryAndExpires() async throws {
        let store = try makeStore(window: 5)
        let start = store.currentResourceVersion
        for index in 0..<3 {
            try store.create(ResourceCatalog.configMaps, namespace: "demo", object: ["metadata": ["name": .string("c\(index)")]])
        }
        let subscription = try store.watch(ResourceCatalog.configMaps, filter: .init(namespace: "demo"), resourceVersion: start)
        var names: [String] = []
        for await message in subscription.messages {
            if case .event(let type, let object) = message, type == "ADDED" {
                names.append(object[path: ["metadata", "name"]]?.stringValue ?? "")
            }
            if names.count == 3 { break }
        }
        #expect(names == ["c0", "c1", "c2"])
        for index in 3..<12 {
            try store.create(ResourceCatalog.configMaps, namespace: "demo", object: ["metadata": ["name": .string("c\(index)")]])
        }
        let error = #expect(throws: KubeStatusError.self) {
            _ = try store.watch(ResourceCatalog.configMaps, filter: .init(), resourceVersion: start)
        }
        #expect(error?.code == 410)
        #expect(error?.reason == "Expired")
    }

    @Test func selectorTransitionsBecomeAddedAndDeleted() async throws {
        let store = try makeStore()
        try store.create(ResourceCatalog.configMaps, namespace: "demo", object: ["metadata": ["name": "a", "labels": ["team": "x"]]])
        let filter = ObjectFilter(labelSelector: try LabelSelector(parsing: "team=x"))
        let subscription = try store.watch(ResourceCatalog.configMaps, filter: filter, resourceVersion: nil)
        try store.modify(ResourceCatalog.configMaps, namespace: "demo", name: "a") { $0[path: ["metadata", "labels", "team"]] = "y" }
        try store.modify(ResourceCatalog.configMaps, namespace: "demo", name: "a") { $0[path: ["metadata", "labels", "team"]] = "x" }
        var types: [String] = []
        for await message in subscription.messages {
            if case .event(let type, _) = message { types.append(type) }
            if types.count == 3 { break }
        }
        #expect(types == ["ADDED", "DELETED", "ADDED"])
        #expect(store.openWatchCount(ResourceCatalog.configMaps) == 1)
        store.dropAllWatches()
        #expect(store.openWatchCount() == 0)
    }
}
