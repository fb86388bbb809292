import GaleJSON
import KubeClient
import Logging

/// The shared upstream watches of the gateway, one per ``WatchKey``.
///
/// Any number of subscriptions with the same key — from one socket or thousands — share one
/// list+watch of the cluster; the objects live here, so a new subscriber is served from memory.
actor WatchHub {
    private var watches: [WatchKey: SharedWatch] = [:]
    private let configuration: SharedWatch.Configuration
    private let connect: @Sendable (Int64) async throws -> KubeClient
    private let onUnresponsive: @Sendable (Int64, String) async -> Void
    private let logger: Logger

    /// `connect` returns the client of a cluster id, whatever its cached state: a watch keeps
    /// trying while the cluster is down and must get through as soon as it is back.
    /// `onUnresponsive` hears of a cluster whose apiserver stopped answering a watch.
    init(
        configuration: SharedWatch.Configuration, logger: Logger,
        onUnresponsive: @escaping @Sendable (Int64, String) async -> Void = { _, _ in },
        connect: @escaping @Sendable (Int64) async throws -> KubeClient
    ) {
        self.configuration = configuration
        self.connect = connect
        self.onUnresponsive = onUnresponsive
        self.logger = logger
    }

    /// Upstream watches open (or opening) now.
    var upstreamCount: Int { watches.count }

    /// Upstream watches open, by cluster (for the metrics).
    var upstreamsByCluster: [Int64: Int] { watches.keys.reduce(into: [:]) { $0[$1.cluster, default: 0] += 1 } }

    /// Subscribes `mailbox` to `key`'s watch, opening it when needed; see
    /// ``SharedWatch/subscribe(_:resumeFrom:)``. Throws 1001 for a resource the gateway does not
    /// know, or the ``APIError`` of the initial LIST.
    func subscribe(_ key: WatchKey, mailbox: WatchMailbox, resumeFrom: String? = nil) async throws -> SharedWatch {
        while true {
            let watch = try watch(for: key)
            if try await watch.subscribe(mailbox, resumeFrom: resumeFrom) { return watch }
            if watches[key] === watch { watches[key] = nil }
        }
    }

    /// Every object of `key` from memory (opening the watch when needed; it then lingers, so the
    /// next pages of a paged list are served without asking the cluster again).
    func objects(_ key: WatchKey) async throws -> (objects: [JSONValue], resourceVersion: String?) {
        while true {
            let watch = try watch(for: key)
            if let result = try await watch.objectsNow() { return result }
            if watches[key] === watch { watches[key] = nil }
        }
    }

    /// Ends every watch of a cluster deleted from the registry: subscribers get `error` 1002 and
    /// `unsubscribed` at once (no `reconnecting` first).
    func endWatches(cluster: Int64) async {
        let ending = watches.filter { $0.key.cluster == cluster }
        for (key, watch) in ending {
            watches[key] = nil
            await watch.end(with: APIError.clusterNotFound(String(cluster)))
        }
    }

    /// Relists every watch of a cluster from scratch: it is not the cluster their objects came
    /// from (see ``SharedWatch/reset(reason:)``).
    func resetWatches(cluster: Int64, reason: String) async {
        for (key, watch) in watches where key.cluster == cluster {
            await watch.reset(reason: reason)
        }
    }

    /// Stops every watch (shutdown).
    func stopAll() async {
        let all = watches.values
        watches.removeAll()
        for watch in all { await watch.stop() }
    }

    private func watch(for key: WatchKey) throws(APIError) -> SharedWatch {
        if let existing = watches[key] { return existing }
        guard let resource = ResourceCatalog.standard.resource(named: key.resource) else {
            throw APIError.invalidArgument("unknown resource \"\(key.resource)\"")
        }
        guard resource.verbs.isEmpty || resource.verbs.contains("watch") else {
            throw APIError.invalidArgument("resource \"\(key.resource)\" cannot be watched")
        }
        let connect = self.connect
        let onUnresponsive = self.onUnresponsive
        let cluster = key.cluster
        let watch = SharedWatch(
            key: key, resource: resource, configuration: configuration, logger: logger,
            connect: { try await connect(cluster) },
            onUnresponsive: { reason in await onUnresponsive(cluster, reason) },
            onRetire: { [weak self] watch in await self?.retired(watch) })
        watches[key] = watch
        return watch
    }

    private func retired(_ watch: SharedWatch) {
        if watches[watch.key] === watch { watches[watch.key] = nil }
    }
}
