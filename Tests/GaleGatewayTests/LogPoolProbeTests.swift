import Foundation
import GaleJSON
import Testing

@testable import GaleGateway

@Suite struct LogPoolProbeTests {
    @Test func manyStreams() async throws {
        try await LogFixture.with { fixture in
            _ = try await fixture.cluster.runningPod(label: "app=nginx")
            try await Task.sleep(for: .seconds(1))
            let subscription = try await fixture.subscribe(["namespace": "demo", "labelSelector": "app", "tailLines": 1])
            print("PROBE targets", subscription.targets.count)
            let start = ContinuousClock.now
            let lines = try await fixture.read(subscription, timeout: .seconds(25)) { lines in
                Set(lines.map(\.pod)).count >= subscription.targets.count
            }
            print("PROBE pods seen", Set(lines.map(\.pod)).count, "after", ContinuousClock.now - start)
        }
    }
}
