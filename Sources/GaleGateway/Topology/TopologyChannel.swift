import GaleJSON
import GaleProtocol
import KubeClient
import Synchronization

/// The body of a `topology` channel: the graph as one `SNAPSHOT` event and `synced`, then a
/// `CHANGED` event with the nodes and edges added, updated and removed whenever the graph
/// changes, and `status` frames for the cluster's upstream.
struct TopologyChannel: Sendable {
    let feeds: TopologyFeeds
    let feed: TopologyFeed
    /// The object the graph is drawn around, when the subscriber named one.
    let root: String?
    /// The kinds the subscriber may list, asked of the cluster's RBAC.
    let access: TopologyAccess

    func run(_ context: ChannelContext) async -> ChannelEnd {
        let feed = self.feed
        let resyncs = ResyncRequests()
        context.onInput { input in
            guard case .resync = input else { return }
            resyncs.note()
            await feed.touch()
        }
        let end = await relay(context, resyncs: resyncs)
        await feeds.release(feed.key)
        return end
    }

    private func relay(_ context: ChannelContext, resyncs: ResyncRequests) async -> ChannelEnd {
        var kinds = access.initialKinds
        var due = ContinuousClock.now.advanced(by: access.interval)
        var sent: TopologyGraph?
        var snapshot = await feed.current
        var state = UpstreamState.connected
        while true {
            if let failure = snapshot.failure { return .failed(failure) }
            if ContinuousClock.now >= due {
                // Access is asked again once the last answer is stale: a kind the user may no
                // longer list leaves the graph; a cluster that cannot answer keeps the last answer.
                kinds = await access.kinds(keeping: kinds)
                due = ContinuousClock.now.advanced(by: access.interval)
            }
            if snapshot.state != state {
                state = snapshot.state
                context.status(cluster: String(feed.key.cluster), state: state.rawValue, reason: nil)
            }
            let graph = visible(snapshot.graph, kinds: kinds)
            if resyncs.take() { sent = nil }
            if let previous = sent {
                let changes = TopologyChanges(from: previous, to: graph)
                if !changes.isEmpty {
                    guard await context.event("CHANGED", changes.fields) else { return .cancelled }
                }
            } else {
                guard await context.event("SNAPSHOT", Self.fields(graph)) else { return .cancelled }
                context.synced(resourceVersion: nil)
            }
            sent = graph
            guard let next = await feed.next(after: snapshot.version) else { return .cancelled }
            snapshot = next
        }
    }

    /// The part of `graph` the subscriber sees: the kinds it may list, around its root.
    private func visible(_ graph: TopologyGraph, kinds: Set<String>) -> TopologyGraph {
        let allowed = graph.restricted { kinds.contains($0.kind) }
        guard let root else { return allowed }
        return allowed.focused(on: root)
    }

    /// Whether the session asked for a fresh snapshot (a resumed client missed too much).
    private final class ResyncRequests: Sendable {
        private let requested = Mutex(false)

        func note() { requested.withLock { $0 = true } }

        /// Whether one was asked for since the last call.
        func take() -> Bool {
            requested.withLock { value in
                defer { value = false }
                return value
            }
        }
    }

    static func fields(_ graph: TopologyGraph) -> [String: JSONValue] {
        graph.json.objectValue ?? [:]
    }
}

/// Which collections of a topology a subscriber may list: every kind of ``TopologySources``
/// its cluster's RBAC lets it list (in the namespace, or cluster-wide for Nodes and
/// PersistentVolumes). Clusters that do not impersonate their users allow every kind.
struct TopologyAccess: Sendable {
    let reviews: AccessReviews
    let principal: Principal
    let record: ClusterRecord
    let namespace: String
    /// How long an answer holds before the channel asks again.
    let interval: Duration
    /// The kinds allowed when the channel opened.
    var initialKinds: Set<String> = []

    /// The kinds allowed now; when a question cannot be answered (the cluster is down), whether
    /// the kind was in `kept` decides.
    func kinds(keeping kept: Set<String>) async -> Set<String> {
        var allowed: Set<String> = []
        for resource in TopologySources.resources {
            do {
                try await reviews.authorize(
                    principal, on: record, verb: "list", resource: resource, namespace: namespace)
                allowed.insert(resource.kind)
            } catch  where error.code == .forbidden {
                continue
            } catch {
                if kept.contains(resource.kind) { allowed.insert(resource.kind) }
            }
        }
        return allowed
    }
}
