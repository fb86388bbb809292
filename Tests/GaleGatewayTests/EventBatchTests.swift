import GaleJSON
import GaleProtocol
import KubeSim
import Testing

@testable import GaleGateway

/// `batch: true` on a subscription: the items written together go out as `events` frames. What
/// makes a batch is the socket writer's (SocketWriterTests); here, a whole snapshot through a
/// real socket, with and without deflate, adds up to the same view as single events.
struct EventBatchTests {
    @Test("A batched watch gets its snapshot in events frames, in seq order and complete; an unbatched one gets none")
    func snapshotInBatches() async throws {
        try await SimCluster.with { cluster in
            for index in 0..<400 {
                let object: KubeSim.JSONValue = [
                    "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string("batch-\(index)")],
                    "data": ["v": .string(String(index))],
                ]
                _ = try cluster.simulator.store.create(
                    KubeSim.ResourceCatalog.configMaps, namespace: "demo", object: object)
            }
            for deflate in [false, true] {
                try await cluster.gateway.socket(.init(token: cluster.admin, deflate: deflate)) { socket in
                    _ = try await socket.hello()
                    var options = LiveWatchTests.watchConfigMaps(cluster)
                    options["batch"] = true
                    let batched = try await socket.subscribe(options)
                    var view = WatchView()
                    try await socket.follow(batched, into: &view) { $0.synced }
                    #expect(view.problems.isEmpty, "\(view.problems.prefix(3))")
                    #expect((0..<400).allSatisfy { view.objects["demo/batch-\($0)"] != nil })
                    #expect(!view.batches.isEmpty && view.batches.allSatisfy { $0 > 1 })

                    let single = try await socket.subscribe(LiveWatchTests.watchConfigMaps(cluster))
                    var plain = WatchView()
                    try await socket.follow(single, into: &plain) { $0.synced }
                    #expect(plain.batches.isEmpty && plain.objects.count == view.objects.count)
                }
            }
        }
    }

    @Test("batch must be true or false")
    func badOption() async throws {
        try await SimCluster.with { cluster in
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                var options = LiveWatchTests.watchConfigMaps(cluster)
                options["batch"] = "yes"
                await #expect(throws: SubscribeRefused.self) { _ = try await socket.subscribe(options) }
            }
        }
    }
}
