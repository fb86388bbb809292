import Foundation
import Synchronization

/// The recent samples of every cluster, kept in memory for `GET /metrics/stats`: one bounded
/// ring per cluster id, so memory stays fixed however long the gateway runs.
final class MetricsHistory: Sendable {
    /// Most samples kept per cluster; the oldest are overwritten first.
    let capacity: Int
    private let rings = Mutex<[Int64: Ring]>([:])

    init(capacity: Int) {
        precondition(capacity > 0, "a metrics history keeps at least one sample")
        self.capacity = capacity
    }

    /// Adds a sample of cluster `id`.
    func record(_ sample: ClusterSample, cluster id: Int64) {
        rings.withLock { rings in
            rings[id, default: Ring(capacity: capacity)].append(sample)
        }
    }

    /// The samples of cluster `id` taken at or after `start`, oldest first.
    func samples(cluster id: Int64, since start: Date = .distantPast) -> [ClusterSample] {
        rings.withLock { $0[id]?.ordered ?? [] }.filter { $0.timestamp >= start }
    }

    /// Forgets the clusters not in `ids` (removed from the registry).
    func retain(clusters ids: Set<Int64>) {
        rings.withLock { rings in rings = rings.filter { ids.contains($0.key) } }
    }

    /// A fixed-size circular buffer of samples.
    private struct Ring: Sendable {
        let capacity: Int
        var storage: [ClusterSample] = []
        /// Where the next sample goes once the buffer is full.
        var next = 0

        init(capacity: Int) {
            self.capacity = capacity
            storage.reserveCapacity(min(capacity, 1024))
        }

        mutating func append(_ sample: ClusterSample) {
            if storage.count < capacity {
                storage.append(sample)
            } else {
                storage[next] = sample
                next = (next + 1) % capacity
            }
        }

        var ordered: [ClusterSample] { Array(storage[next...] + storage[..<next]) }
    }
}
