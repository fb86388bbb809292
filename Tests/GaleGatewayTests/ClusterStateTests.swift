import Foundation
import GaleGateway
import GaleJSON
import KubeSim
import NIOHTTP1
import Testing

@Suite("Cluster connection state")
struct ClusterStateTests {
    @Test("registering probes the cluster; state follows it down and back up by itself")
    func stateFollowsTheCluster() async throws {
        let simulator = KubeSimServer(configuration: .init(seedDemoData: false))
        try await simulator.start()
        try await TestGateway.with(probeInterval: .milliseconds(200)) { gateway in
            let token = try await gateway.token()
            let (_, created) = try await gateway.http(
                .POST, "/clusters", token: token,
                body: ["name": "sim", "kubeconfig": .string(try simulator.kubeconfig())]
            )
            #expect(created["data"]?["status"]?.stringValue == "active")
            #expect(created["data"]?["version"]?.stringValue == simulator.configuration.gitVersion)
            let id = try #require(created["data"]?["id"]?.intValue)

            let outage = Task { try await simulator.restart(downtime: .seconds(3)) }
            #expect(try await eventually { try await status(gateway, id, token) == "unreachable" })
            try await outage.value
            #expect(try await eventually { try await status(gateway, id, token) == "active" })
        }
        await simulator.stop()
    }

    private func status(_ gateway: TestGateway, _ id: Int64, _ token: String) async throws -> String? {
        try await gateway.http(.GET, "/clusters/\(id)", token: token).envelope["data"]?["status"]?.stringValue
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return false
}
