import GaleJSON
import KubeClient
import Synchronization

/// Serves the seed's paged lists from the hub's shared watches, the way client-go informers
/// serve controllers: the first page opens (or joins) a watch of the collection, and the next
/// pages — and every other user paging the same collection — are cut from memory instead of
/// listing thousands of objects from the apiserver again.
///
/// A cache is only as fresh as its watch, which trails the apiserver by the event latency. So
/// that users always read their own writes, a collection written through the gateway is listed
/// from the apiserver directly for a short quiet period afterwards.
///
/// The watches run under the gateway's identity, so every reader is first authorized for the
/// list with an access review: the cluster's RBAC still decides who reads what.
final class CachedLists: Sendable {
    let hub: WatchHub
    let reviews: AccessReviews
    /// How long after a write through the gateway its collection is listed directly.
    let quietPeriod: Duration
    private let writes = Mutex<[String: ContinuousClock.Instant]>([:])

    init(hub: WatchHub, reviews: AccessReviews, quietPeriod: Duration = .seconds(2)) {
        self.hub = hub
        self.reviews = reviews
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
    /// 1005 when `principal` may not list them.
    func objects(_ key: WatchKey, of resource: KubeResource, for principal: Principal, on record: ClusterRecord)
        async throws -> [JSONValue]?
    {
        let written = writes.withLock { $0["\(key.cluster)/\(key.resource)"] }
        if let written, ContinuousClock.now - written < quietPeriod { return nil }
        try await reviews.authorize(principal, on: record, verb: "list", resource: resource, namespace: key.namespace)
        return try await hub.objects(key).objects
    }
}
