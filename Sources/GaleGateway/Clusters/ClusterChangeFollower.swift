import Logging
import ServiceLifecycle

/// Keeps this replica's view of the clusters in step with registry changes made by other
/// replicas sharing the store (PostgreSQL `LISTEN`): a deleted cluster's connection and live
/// channels end here too, a registered or changed one is probed at once. Lists and lookups read
/// the store, so they need nothing of this. With a store of one process it has nothing to do.
struct ClusterChangeFollower: Service {
    let store: any ClusterStore
    let connections: ClusterConnections
    let logger: Logger

    func run() async throws {
        // Graceful shutdown cancels the loop; that is its normal end, not a failure.
        try? await cancelWhenGracefulShutdown {
            try await store.followChanges { change in await apply(change) }
        }
    }

    func apply(_ change: ClusterChange) async {
        logger.debug("registry changed elsewhere", metadata: ["change": "\(change.kind.rawValue)", "cluster.id": "\(change.id)"])
        switch change.kind {
        case .deleted:
            await connections.remove(change.id)
        case .inserted, .updated:
            guard let record = try? await store.get(id: change.id) else { return }
            await connections.probe(record)
        case .resync:
            // Notifications may have been missed: whatever this replica holds of a cluster that is
            // gone ends now; the others are re-read by the prober on its next round.
            for id in await connections.knownClusters() {
                // Only a cluster the store says is gone; one it cannot answer for now stays.
                do {
                    if try await store.get(id: id) == nil { await connections.remove(id) }
                } catch {
                    continue
                }
            }
        }
    }
}
