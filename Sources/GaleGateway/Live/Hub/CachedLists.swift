import GaleJSON
import Synchronization

/// Serves the seed's paged lists from the hub's shared watches, the way client-go informers
/// serve controllers: the first page opens (or joins) a watch of the collection, and the next
/// pages — and every other user paging the same collection — are cut from memory instead of
/// listing thousands of objects from the apiserver again.
///
/// A cache is only as fresh as its watch, which trails the apiserver by the event latency. So
/// that users always read their own writes, a collection written through the gateway is listed
/// from the apiserver directly for a short quiet period afterwards.
final class CachedLists: Sendable {
    let hub: WatchHub
    /// How long after a write through the gateway its collection is listed directly.
    let quietPeriod: Duration
    private let writes = Mutex<[String: ContinuousClock.Instant]>([:])

    init(hub: WatchHub, quietPeriod: Duration = .seconds(2)) {
        self.hub = hub
        self.quietPeriod = quietPeriod
    }

    /// Notes a write to a collection of a cluster.
    func noteWrite(cluster: Int64, resource plural: String) {
        let now = ContinuousClock.now
        writes.withLock { writes in
            writes["\(cluster)/\(plural)"] = now
            if writes.count > 1024 { writes = writes.filter { now - $0.value < quietPeriod } }
        }
    }

    /// Every object of the collection `key` names, sorted by namespace and name; `nil` when it
    /// was written through the gateway too recently to trust a cache.
    func objects(_ key: WatchKey) async throws -> [JSONValue]? {
        let written = writes.withLock { $0["\(key.cluster)/\(key.resource)"] }
        if let written, ContinuousClock.now - written < quietPeriod { return nil }
        return try await hub.objects(key).objects
    }
}
