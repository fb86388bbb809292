import Foundation
import KubeSim
import Testing

@Suite(.serialized) struct ControllerTests {
    func pods(_ server: KubeSimServer, _ namespace: String, _ selector: String) -> [JSONValue] {
        server.store.list(ResourceCatalog.pods, filter: .init(namespace: namespace, labelSelector: try! LabelSelector(parsing: selector))).items
    }

    func name(_ object: JSONValue) -> String { object[path: ["metadata", "name"]]?.stringValue ?? "" }

    @Test func statefulSetDaemonSetAndEvents() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.eventually {
                pods(server, "demo", "app=redis").map(name).sorted() == ["redis-0", "redis-1"]
                    && pods(server, "demo", "app=redis").allSatisfy { $0[path: ["status", "phase"]] == "Running" }
            })
            #expect(server.store.find(ResourceCatalog.persistentVolumeClaims, namespace: "demo", name: "data-redis-1") != nil)
            #expect(!server.store.list(ResourceCatalog.controllerRevisions, filter: .init(namespace: "demo")).items.isEmpty)
            // kube-proxy tolerates everything: one pod per node; log-agent skips the tainted control plane.
            #expect(await SimFixture.eventually {
                Set(pods(server, "kube-system", "app=kube-proxy").compactMap { $0[path: ["spec", "nodeName"]]?.stringValue }).count == 3
                    && pods(server, "demo", "app=log-agent").count == 2
            })
            try server.api.patch(ResourceCatalog.statefulSets, namespace: "demo", name: "redis", format: .merge, patch: ["spec": ["replicas": 3]])
            #expect(await SimFixture.eventually { pods(server, "demo", "app=redis").map(name).sorted() == ["redis-0", "redis-1", "redis-2"] })
            let events = server.store.list(ResourceCatalog.events, filter: .init(namespace: "demo", fieldSelector: try FieldSelector(parsing: "involvedObject.name=redis-0"))).items
            let reasons = Set(events.compactMap { $0["reason"]?.stringValue })
            #expect(reasons.isSuperset(of: ["Scheduled", "Pulled", "Created", "Started"]))
        }
    }

    @Test func jobsRunToCompletionAndCronJobsCreateJobs() async throws {
        try await SimFixture.withServer { server in
            try server.api.create(ResourceCatalog.jobs, namespace: "demo", object: [
                "metadata": ["name": "batch"],
                "spec": ["completions": 2, "parallelism": 1, "template": ["spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "busybox"]]]]],
            ])
            #expect(await SimFixture.eventually {
                let job = server.store.find(ResourceCatalog.jobs, namespace: "demo", name: "batch")
                return job?[path: ["status", "succeeded"]] == 2 && job?[path: ["status", "completionTime"]] != nil
            })
            #expect(pods(server, "demo", "job-name=batch").allSatisfy { $0[path: ["status", "phase"]] == "Succeeded" })
            let past = KubeTime.format(Date().addingTimeInterval(-150))
            try server.api.create(ResourceCatalog.cronJobs, namespace: "demo", object: [
                "metadata": ["name": "minutely"],
                "spec": ["schedule": "* * * * *", "jobTemplate": ["spec": ["template": ["spec": ["restartPolicy": "OnFailure", "containers": [["name": "c", "image": "busybox"]]]]]]],
            ])
            try server.store.modify(ResourceCatalog.cronJobs, namespace: "demo", name: "minutely") {
                $0[path: ["status", "lastScheduleTime"]] = .string(past)
            }
            #expect(await SimFixture.eventually {
                server.store.list(ResourceCatalog.jobs, filter: .init(namespace: "demo")).items.contains { name($0).hasPrefix("minutely-") }
            })
        }
    }

    @Test func namespaceDeletionEvictionAndCordon() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let deleted = try server.api.delete(ResourceCatalog.namespaces, namespace: nil, name: "staging")
            #expect(deleted[path: ["status", "phase"]] == "Terminating")
            #expect(await SimFixture.eventually { server.store.find(ResourceCatalog.namespaces, namespace: nil, name: "staging") == nil })
            #expect(server.store.list(ResourceCatalog.deployments, filter: .init(namespace: "staging")).items.isEmpty)
            try server.api.patch(ResourceCatalog.nodes, namespace: nil, name: "kubesim-worker", format: .strategicMerge, patch: ["spec": ["unschedulable": true]])
            let before = pods(server, "demo", "app=nginx")
            let originalUIDs = Set(before.compactMap { $0[path: ["metadata", "uid"]]?.stringValue })
            let victim = try #require(before.first)
            _ = try server.api.evict(namespace: "demo", name: name(victim))
            #expect(await SimFixture.eventually {
                let current = pods(server, "demo", "app=nginx")
                let fresh = current.filter { !originalUIDs.contains($0[path: ["metadata", "uid"]]?.stringValue ?? "") }
                return current.count == 3 && !current.contains { name($0) == name(victim) } && fresh.count == 1
                    && fresh.allSatisfy { $0[path: ["status", "phase"]] == "Running" && $0[path: ["spec", "nodeName"]] == "kubesim-worker2" }
            })
        }
    }
}
