import Foundation
import GaleJSON
import KubeClient
import Logging

/// Shared metrics samplers: one per cluster, scope and namespace, polling at the shortest
/// interval any of its subscribers asked for and handing each subscriber a sample when its own
/// interval has passed. Cluster-scope samples also go into the ``MetricsHistory`` that
/// `GET /metrics/stats` answers from, so the live stream and the history are the same numbers.
actor MetricsFeeds {
    /// What a metrics subscription samples.
    enum Scope: String, Sendable, CaseIterable {
        /// ``ClusterSample``: nodes, pods by phase, CPU and memory totals.
        case cluster
        /// Usage of every node against its allocatable.
        case nodes
        /// Usage of the pods of a namespace (or all).
        case pods
    }

    struct Key: Hashable, Sendable {
        var cluster: Int64
        var scope: Scope
        var namespace: String?
    }

    /// What a subscriber receives.
    enum Item: Sendable {
        case sample(time: Date, value: JSONValue)
        case status(UpstreamState, reason: String?)
    }

    private struct Subscriber {
        let interval: Duration
        var lastSent: ContinuousClock.Instant?
        let continuation: AsyncStream<Item>.Continuation
    }

    private struct Feed {
        var subscribers: [UInt64: Subscriber] = [:]
        var task: Task<Void, Never>?
        var state = UpstreamState.connected
    }

    private var feeds: [Key: Feed] = [:]
    private var nextID: UInt64 = 0
    private let history: MetricsHistory
    private let connect: @Sendable (Int64) async throws -> KubeClient
    private let logger: Logger
    /// Shortest interval a subscriber may ask for.
    let minimumInterval: Duration

    init(
        history: MetricsHistory, minimumInterval: Duration, logger: Logger,
        connect: @escaping @Sendable (Int64) async throws -> KubeClient
    ) {
        self.history = history
        self.minimumInterval = minimumInterval
        self.logger = logger
        self.connect = connect
    }

    /// Subscribes to `key` every `interval`; the stream keeps only the newest few items, so a
    /// slow reader skips samples instead of piling them up.
    func subscribe(_ key: Key, interval: Duration) -> (id: UInt64, items: AsyncStream<Item>) {
        nextID += 1
        let id = nextID
        let (stream, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingNewest(4))
        feeds[key, default: Feed()].subscribers[id] = Subscriber(
            interval: max(interval, minimumInterval), continuation: continuation)
        if feeds[key]?.task == nil {
            feeds[key]?.task = Task { await self.poll(key) }
        }
        return (id, stream)
    }

    /// Ends a subscription; the last one stops the feed.
    func unsubscribe(_ key: Key, id: UInt64) {
        feeds[key]?.subscribers.removeValue(forKey: id)?.continuation.finish()
        if feeds[key]?.subscribers.isEmpty == true {
            feeds[key]?.task?.cancel()
            feeds[key] = nil
        }
    }

    /// Number of feeds polling now.
    var feedCount: Int { feeds.count }

    private func poll(_ key: Key) async {
        var backoff = Backoff()
        while !Task.isCancelled, let feed = feeds[key] {
            let tick = feed.subscribers.values.map(\.interval).min() ?? minimumInterval
            do {
                let value = try await sample(key)
                deliver(key, .sample(time: Date(), value: value))
                setState(key, .connected, reason: nil)
                backoff.reset()
                try await Task.sleep(for: tick)
            } catch is CancellationError {
                return
            } catch {
                let reason = APIError.reason(of: error)
                setState(key, backoff.failures >= 3 ? .unreachable : .reconnecting, reason: reason)
                do { try await Task.sleep(for: min(backoff.next(), max(tick, .seconds(1)) * 4)) } catch { return }
            }
        }
    }

    private func sample(_ key: Key) async throws -> JSONValue {
        let client = try await connect(key.cluster)
        switch key.scope {
        case .cluster:
            let sample = try await ClusterSample.take(client)
            history.record(sample, cluster: key.cluster)
            return sample.json
        case .nodes:
            return ["items": .array(try await MetricsOperations.nodeUsage(client))]
        case .pods:
            return ["items": .array(try await MetricsOperations.podUsage(client, namespace: key.namespace))]
        }
    }

    private func deliver(_ key: Key, _ item: Item) {
        guard var feed = feeds[key] else { return }
        let now = ContinuousClock.now
        for (id, var subscriber) in feed.subscribers {
            // A little slack, so that a subscriber at the feed's own interval is never skipped by jitter.
            if let last = subscriber.lastSent, now - last < subscriber.interval * 0.9 { continue }
            subscriber.lastSent = now
            subscriber.continuation.yield(item)
            feed.subscribers[id] = subscriber
        }
        feeds[key] = feed
    }

    private func setState(_ key: Key, _ state: UpstreamState, reason: String?) {
        guard let feed = feeds[key], feed.state != state else { return }
        feeds[key]?.state = state
        for subscriber in feed.subscribers.values { subscriber.continuation.yield(.status(state, reason: reason)) }
    }
}
