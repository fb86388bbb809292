import GaleJSON
import GaleProtocol
import Synchronization

/// The body of a `watch` channel over several clusters: it subscribes to the shared watch of the
/// same collection on each cluster (the very watches single-cluster channels share, so a merged
/// channel adds no upstream load) and fans their items into one mailbox, every event attributed
/// to its cluster by a `cluster` member.
///
/// The snapshot is every cluster's objects, then one `synced`. A cluster that cannot be watched
/// (down, or its watch failed) is reported with `status {cluster, state: "unreachable"}` and
/// tried again with backoff; when it comes back after having delivered objects, the channel
/// sends `resync` and a fresh snapshot of every cluster, since the objects it missed meanwhile
/// cannot be told apart. Lag is handled as on any watch: the merged mailbox conflates per
/// object and overflows the client past its limit.
struct MergedWatchChannel: Sendable {
    /// One cluster of the channel.
    struct Member: Sendable {
        var key: WatchKey
        /// The subscriber's access to the cluster's watch; `nil` when the gateway's roles decide.
        var access: WatchAccess?
    }

    let hub: WatchHub
    let members: [Member]
    let merged: WatchMailbox
    let mailboxBounds: (conflateAfter: Int, limit: Int)
    private let state = MergedWatchState()

    init(hub: WatchHub, members: [Member], mailboxBounds: (conflateAfter: Int, limit: Int)) {
        self.hub = hub
        self.members = members
        self.mailboxBounds = mailboxBounds
        self.merged = WatchMailbox(conflateAfter: mailboxBounds.conflateAfter, limit: mailboxBounds.limit)
    }

    func run(_ context: ChannelContext) async -> ChannelEnd {
        let state = self.state
        let merged = self.merged
        let count = members.count
        context.onInput { input in
            guard case .resync = input else { return }
            // The session sent `resync` itself.
            await state.restart(into: merged, clusters: count, announce: false)
        }
        return await withTaskGroup(of: Void.self) { group in
            for member in members {
                group.addTask { await follow(member, context) }
            }
            let end = await relay(context)
            merged.close()
            group.cancelAll()
            return end
        }
    }

    /// Relays the merged items: each cluster's snapshot, `synced` once all are in, then changes.
    private func relay(_ context: ChannelContext) async -> ChannelEnd {
        var clocks = members.map { WatchAccessClock($0.access) }
        var remaining = members.count
        while let item = await merged.next() {
            for index in clocks.indices {
                if let refusal = await clocks[index].refusal() { return .failed(refusal) }
            }
            switch item {
            case .start(let start) where start.resync:
                if start.resourceVersion == MergedWatchState.announce {
                    context.resync(reason: "a cluster's watch restarted; a fresh snapshot of every cluster follows")
                }
                remaining = members.count
            case .start(let start):
                for added in start.objects ?? [] {
                    guard await context.event(added) else { return .cancelled }
                }
                for change in start.replay {
                    guard await context.event(change.encoded) else { return .cancelled }
                }
                if remaining > 0 {
                    remaining -= 1
                    if remaining == 0 { context.synced(resourceVersion: nil) }
                }
            case .change(let change):
                guard await context.event(change.encoded) else { return .cancelled }
            case .status, .failed:
                break  // handled per cluster by ``follow(_:_:)``
            }
        }
        return merged.isOverflowed ? .overflowed : .cancelled
    }

    /// Keeps one cluster's watch subscribed, moving its items into the merged mailbox, until the
    /// channel ends.
    private func follow(_ member: Member, _ context: ChannelContext) async {
        let cluster = String(member.key.cluster)
        var backoff = Backoff()
        var delivered = false
        var counted = false
        while !Task.isCancelled {
            let mailbox = WatchMailbox(conflateAfter: mailboxBounds.conflateAfter, limit: mailboxBounds.limit)
            let watch: SharedWatch
            do {
                watch = try await hub.subscribe(member.key, mailbox: mailbox)
            } catch {
                context.status(cluster: cluster, state: UpstreamState.unreachable.rawValue, reason: Self.reason(error))
                // A cluster deleted from the registry is not coming back under this id.
                let removed = (error as? APIError)?.code == .clusterNotFound
                if !counted || removed {
                    // The snapshot of a cluster that is down is empty, so `synced` is not held up.
                    merged.put(.start(WatchStart(objects: [])))
                    counted = true
                }
                guard !removed, (try? await Task.sleep(for: backoff.next())) != nil else { return }
                continue
            }
            await state.joined(cluster, watch: watch, mailbox: mailbox)
            if delivered {
                await state.restart(into: merged, clusters: members.count, announce: true)
            } else if counted {
                context.status(cluster: cluster, state: UpstreamState.connected.rawValue, reason: nil)
            }
            counted = true
            delivered = true
            backoff = Backoff()
            var failed = false
            while let item = await mailbox.next() {
                switch item {
                case .start(let start):
                    merged.put(.start(Self.attributed(start, cluster: cluster)))
                case .change(let change):
                    merged.put(.change(Self.attributed(change, cluster: cluster)))
                case .status(let upstream, let reason):
                    context.status(cluster: cluster, state: upstream.rawValue, reason: reason)
                case .failed(let error):
                    context.status(cluster: cluster, state: UpstreamState.unreachable.rawValue, reason: error.message)
                    failed = true
                }
                if failed { break }
            }
            await state.left(cluster)
            mailbox.close()
            await watch.unsubscribe(mailbox)
            guard failed || mailbox.isOverflowed, (try? await Task.sleep(for: backoff.next())) != nil else { return }
        }
    }

    private static func reason(_ error: any Error) -> String {
        (error as? APIError)?.message ?? "the cluster cannot be watched"
    }

    /// A cluster's snapshot with every object marked with its cluster.
    static func attributed(_ start: WatchStart, cluster: String) -> WatchStart {
        WatchStart(
            objects: start.objects?.map { EncodedMembers(prefix(cluster) + $0.text) },
            replay: start.replay.map { attributed($0, cluster: cluster) }, resync: false,
            resourceVersion: nil)
    }

    /// A change marked with its cluster, and told apart from the same object on another cluster.
    static func attributed(_ change: WatchChange, cluster: String) -> WatchChange {
        WatchChange(attributing: change, prefix: prefix(cluster), key: cluster + "\u{0}" + change.key)
    }

    private static func prefix(_ cluster: String) -> String {
        #""cluster":\#(JSONValue.string(cluster).jsonString),"#
    }
}

extension WatchChange {
    /// `change` with `prefix` before its encoded members and conflated under `key`.
    fileprivate init(attributing change: WatchChange, prefix: String, key: String) {
        self.kind = change.kind
        self.object = change.object
        self.key = key
        self.resourceVersion = change.resourceVersion
        self.encoded = EncodedMembers(prefix + change.encoded.text)
    }
}

/// The clusters of a merged watch whose watches are subscribed now, so that a restart can ask
/// each of them for a fresh snapshot.
actor MergedWatchState {
    /// The `resourceVersion` of a restart marker whose `resync` frame the channel sends itself.
    static let announce = "announce"

    private var active: [String: (watch: SharedWatch, mailbox: WatchMailbox)] = [:]

    func joined(_ cluster: String, watch: SharedWatch, mailbox: WatchMailbox) {
        active[cluster] = (watch, mailbox)
    }

    func left(_ cluster: String) {
        active[cluster] = nil
    }

    /// Starts the channel's view over: a marker (which makes the relay send `resync` when
    /// `announce`), then a fresh snapshot from every subscribed cluster and an empty one for each
    /// cluster that is down, so that `synced` follows once all are in.
    func restart(into merged: WatchMailbox, clusters: Int, announce: Bool) async {
        merged.put(.start(WatchStart(objects: nil, resync: true, resourceVersion: announce ? Self.announce : nil)))
        for _ in active.count..<max(clusters, active.count) { merged.put(.start(WatchStart(objects: []))) }
        for (watch, mailbox) in active.values { await watch.resnapshot(mailbox) }
    }
}
