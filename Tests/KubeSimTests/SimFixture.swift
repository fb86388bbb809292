import TestSupport
import Foundation
import KubeSim

/// Starts a simulator on 127.0.0.1:0 for one test and stops it afterwards.
enum SimFixture {
    static func configuration(seed: Bool = true, tls: Bool = false) -> KubeSimServer.Configuration {
        // A port below the ephemeral range: nobody takes it while a restart test has it down.
        KubeSimServer.Configuration(
            port: TestPorts.next(), token: "test-token", seedDemoData: seed, logLinesPerSecond: 10, bookmarkInterval: .milliseconds(300),
            podStartDelay: .milliseconds(150), jobRunDuration: .milliseconds(500), reconcileInterval: .milliseconds(200), tls: tls)
    }

    static func withServer<T>(
        _ configuration: KubeSimServer.Configuration = configuration(), _ body: (KubeSimServer) async throws -> T
    ) async throws -> T {
        let server = KubeSimServer(configuration: configuration)
        try await server.start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Polls `condition` until it holds or `timeout` passes.
    static func eventually(
        timeout: Duration = .seconds(15), interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: interval)
        }
        return try await condition()
    }

    /// Waits for the demo workloads to have running pods.
    static func waitForDemoPods(_ server: KubeSimServer, count: Int = 3) async -> Bool {
        let ok = await eventually {
            let pods = server.store.list(
                ResourceCatalog.pods, filter: ObjectFilter(namespace: "demo", labelSelector: try! LabelSelector(parsing: "app=nginx"))
            ).items
            return pods.count == count && pods.allSatisfy { $0[path: ["status", "phase"]]?.stringValue == "Running" }
        }
        if !ok {
            for pod in server.store.list(ResourceCatalog.pods, filter: ObjectFilter(namespace: "demo")).items {
                print("demo pod not ready:", pod[path: ["metadata", "name"]]?.stringValue ?? "", pod[path: ["status", "phase"]]?.stringValue ?? "", pod[path: ["spec", "nodeName"]]?.stringValue ?? "-")
            }
        }
        return ok
    }
}
