import Foundation
import GaleGateway
import GaleJSON
import KubeSim
import NIOHTTP1
import Testing
import TestSupport

@Suite("Cluster connection state")
struct ClusterStateTests {
    @Test("a cluster that is down answers 1006 with the reason; once it comes up it is used again by itself")
    func stateFollowsTheCluster() async throws {
        // Learn a free port and a kubeconfig for it, then leave nothing listening there (a port below
        // the ephemeral range, which no other test takes meanwhile).
        let token = "kubesim-state-test-token"
        let probe = KubeSimServer(configuration: .init(port: TestPorts.next(), token: token, seedDemoData: false, tls: false))
        let port = try await probe.start()
        let kubeconfig = try probe.kubeconfig()
        await probe.stop()

        let simulator = KubeSimServer(configuration: .init(port: port, token: token, seedDemoData: true, tls: false))
        try await TestGateway.with(probeInterval: .milliseconds(200), configure: TestGateway.plainHTTPClusters) { gateway in
            let admin = try await gateway.token()
            let (_, created) = try await gateway.http(
                .POST, "/clusters", token: admin, body: ["name": "sim", "kubeconfig": .string(kubeconfig)]
            )
            #expect(created["data"]?["status"]?.stringValue == "unreachable")
            let id = try #require(created["data"]?["id"]?.intValue)
            let (status, down) = try await gateway.http(.GET, "/nodes?cluster_id=\(id)", token: admin)
            #expect(status == 502)
            #expect(down["code"]?.intValue == 1006)
            #expect(down["msg"]?.stringValue?.contains("unreachable") == true)

            try await simulator.start()
            #expect(try await eventually { try await self.status(gateway, id, admin) == "active" })
            let (_, version) = try await gateway.http(.GET, "/clusters/\(id)", token: admin)
            #expect(version["data"]?["version"]?.stringValue == simulator.configuration.gitVersion)
            #expect(try await gateway.http(.GET, "/nodes?cluster_id=\(id)", token: admin).envelope["code"]?.intValue == 0)
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
