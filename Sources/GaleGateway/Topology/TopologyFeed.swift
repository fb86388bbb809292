import GaleJSON
import GaleProtocol
import KubeClient
import Logging

/// The live topology of one namespace of one cluster, shared by every `topology` channel on it.
///
/// It subscribes once to the shared watch of each collection of ``TopologySources`` (so a
/// thousand viewers add no upstream load beyond one viewer, and none beyond what watch channels
/// on the same collections already cause), keeps the objects, and redraws the graph when a batch
/// of changes has been applied. Channels do not get a queue of graphs: they wait for a newer
/// ``version`` and diff the latest graph against what they sent last, so a slow channel skips
/// intermediate graphs instead of piling them up.
actor TopologyFeed {
    /// Which topology: a cluster and a namespace.
    struct Key: Hashable, Sendable {
        var cluster: Int64
        var namespace: String
    }

    /// What a channel waits for.
    struct Snapshot: Sendable {
        var version: Int
        var graph: TopologyGraph
        /// The worst state of the feed's upstreams.
        var state: UpstreamState
        /// Set when the feed failed for good (the namespace or cluster went away).
        var failure: APIError?
    }

    let key: Key
    private let hub: WatchHub
    private let logger: Logger
    private var subscriptions: [(watch: SharedWatch, mailbox: WatchMailbox)] = []
    private var readers: [Task<Void, Never>] = []
    private var objects: [String: [String: JSONValue]] = [:]
    private var states: [String: UpstreamState] = [:]
    private var graph = TopologyGraph()
    private var version = 0
    private var failure: APIError?
    private var waiters: [Int: (after: Int, continuation: CheckedContinuation<Snapshot?, Never>)] = [:]
    private var nextWaiter = 0
    private var stopped = false

    init(key: Key, hub: WatchHub, logger: Logger) {
        self.key = key
        self.hub = hub
        var logger = logger
        logger[metadataKey: "topology"] = "cluster \(key.cluster) namespace \(key.namespace)"
        self.logger = logger
    }

    /// Subscribes to every collection and draws the first graph. A collection the gateway cannot
    /// watch is left out (and logged); a cluster down or a namespace gone fails the start.
    func start(mailboxBounds: (conflateAfter: Int, limit: Int)) async throws {
        for resource in TopologySources.resources {
            let mailbox = WatchMailbox(conflateAfter: mailboxBounds.conflateAfter, limit: mailboxBounds.limit)
            let watchKey = TopologySources.key(resource, cluster: key.cluster, namespace: key.namespace)
            let watch: SharedWatch
            do {
                watch = try await hub.subscribe(watchKey, mailbox: mailbox)
            } catch let error as APIError where error.code == .forbidden || error.code == .invalidArgument {
                logger.warning("topology leaves out \(resource.plural)", metadata: ["error": "\(error)"])
                continue
            } catch {
                await stop()
                throw error
            }
            subscriptions.append((watch, mailbox))
            objects[resource.kind] = [:]
            let kind = resource.kind
            // Ends when the mailbox closes (``stop()`` closes it); holds the feed only meanwhile.
            readers.append(Task { await self.read(kind: kind, watch: watch, mailbox: mailbox) })
        }
    }

    /// Stops reading (the last channel left); the shared watches linger for their other users.
    func stop() async {
        guard !stopped else { return }
        stopped = true
        for reader in readers { reader.cancel() }
        for (watch, mailbox) in subscriptions {
            mailbox.close()
            await watch.unsubscribe(mailbox)
        }
        subscriptions.removeAll()
        for (_, waiter) in waiters { waiter.continuation.resume(returning: nil) }
        waiters.removeAll()
    }

    /// The current graph.
    var current: Snapshot { Snapshot(version: version, graph: graph, state: worstState, failure: failure) }

    /// The first snapshot with a version after `version`; `nil` once the feed stopped or the
    /// waiting task is cancelled.
    func next(after version: Int) async -> Snapshot? {
        if self.version > version || failure != nil { return current }
        guard !stopped else { return nil }
        let id = nextWaiter
        nextWaiter += 1
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: nil)
                } else {
                    waiters[id] = (version, continuation)
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    /// Wakes every waiting channel with the current graph (a channel asked for a resync).
    func touch() {
        version += 1
        wake()
    }

    private func cancelWaiter(_ id: Int) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: nil)
    }

    private var worstState: UpstreamState {
        if states.values.contains(.unreachable) { return .unreachable }
        if states.values.contains(.reconnecting) { return .reconnecting }
        return .connected
    }

    private func read(kind: String, watch: SharedWatch, mailbox: WatchMailbox) async {
        while let item = await mailbox.next() {
            switch item {
            case .start:
                // The snapshot's objects as JSON, from the watch's memory; changes queued behind
                // the start are applied on top and converge on the latest state.
                if let snapshot = try? await watch.objectsNow() {
                    objects[kind] = Dictionary(
                        snapshot.objects.map { (WatchChange.key(of: $0), $0) }, uniquingKeysWith: { $1 })
                }
            case .change(let change):
                // Not a ternary: `nil` there would be JSON null (JSONValue is nil-literal expressible),
                // stored as an object without a name instead of removing the deleted one.
                if change.kind == .deleted {
                    objects[kind]?[change.key] = nil
                } else {
                    objects[kind, default: [:]][change.key] = change.object
                }
            case .status(let state, _):
                states[kind] = state
                version += 1
            case .failed(let error):
                failure = error
            }
            if mailbox.count == 0 { redraw() }
        }
        if mailbox.isOverflowed, !stopped {
            failure = APIError(.internalError, "the topology fell behind its watches")
            redraw()
        }
    }

    private func redraw() {
        let drawn = TopologyBuilder.graph(objects.mapValues { Array($0.values) })
        if drawn != graph {
            graph = drawn
            version += 1
        }
        wake()
    }

    private func wake() {
        let ready = waiters.filter { $0.value.after < version || failure != nil }
        for (id, waiter) in ready {
            waiters[id] = nil
            waiter.continuation.resume(returning: current)
        }
    }
}
