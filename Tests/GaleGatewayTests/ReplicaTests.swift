import Foundation
@testable import GaleGateway
import GaleJSON
import GaleProtocol
import NIOHTTP1
import NIOWebSocket
import Testing
import WSCore

@Suite("Replicas: drain and shared single-use values")
struct ReplicaTests {
    @Test("graceful shutdown turns /readyz 503 first, keeps sockets open for the drain delay, then closes them 1001")
    func drainsBeforeClosing() async throws {
        try await TestGateway.with(configure: { $0.drainDelay = .seconds(5) }) { gateway in
            let token = try await gateway.token()
            #expect(try await Probe.get(gateway.port, "/readyz", token: nil).status == 200)
            let close = try await gateway.socket(.init(token: token)) { socket in
                _ = try await socket.hello()
                await gateway.shutdown()
                let draining = try await eventually(timeout: .seconds(4)) {
                    (try? await Probe.get(gateway.port, "/readyz", token: nil).status) == 503
                }
                #expect(draining, "readyz did not turn false at once")
                // Still served while the load balancer takes the replica out.
                try await socket.send(.ping(id: .string("still-open")))
                #expect(try await socket.receive() == .pong(id: .string("still-open")))
                _ = try await socket.drain()
            }
            #expect(close?.closeCode == .goingAway)
        }
    }

    @Test(
        "two gateways on one database: a cluster registered on one is listed by the other, a confirmation token of one works once on the other",
        .enabled(if: TestDatabase.enabled), .timeLimit(.minutes(2)))
    func sharedConfirmations() async throws {
        try await TestDatabase.with { database in
            let sealKey = KubeconfigSealer.generateKey()
            let location = try DatabaseLocation.postgres(url: database.url)
            let shared: (inout GatewayConfiguration) -> Void = { configuration in
                configuration.database = location
                configuration.sealKey = sealKey
            }
            try await TestGateway.with(configure: shared) { first in
                try await TestGateway.with(configure: shared) { second in
                    let token = try await first.token()
                    let id = try await first.register("shared", kubeconfig: Kubeconfigs.valid, token: token)
                    let (_, listed) = try await second.http(.GET, "/clusters", token: token)
                    #expect(listed["data"]?["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["shared"])

                    let body: JSONValue = ["description": "confirmed elsewhere"]
                    let (_, asked) = try await first.http(.PUT, "/clusters/\(id)", token: token, body: body)
                    #expect(asked["code"]?.intValue == 1010)
                    let confirm = try #require(asked["data"]?["confirm_token"]?.stringValue)
                    var confirmed = body
                    confirmed["confirm_token"] = .string(confirm)
                    let (_, done) = try await second.http(.PUT, "/clusters/\(id)", token: token, body: confirmed)
                    #expect(done["code"]?.intValue == 0)
                    #expect(done["data"]?["description"]?.stringValue == "confirmed elsewhere")
                    // Used once: on the first gateway too (the cluster changed since, so its answer is a
                    // fresh preview, and nothing happens).
                    let (_, again) = try await first.http(.PUT, "/clusters/\(id)", token: token, body: confirmed)
                    #expect(again["code"]?.intValue == 1010)
                }
            }
        }
    }
}
