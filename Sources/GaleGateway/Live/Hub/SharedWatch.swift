import GaleJSON
import GaleProtocol
import KubeClient
import Logging

/// One upstream list+watch of a cluster, shared by every subscriber with the same ``WatchKey``.
///
/// It works the way client-go's reflector and informer cache do: LIST (in pages) to learn every
/// object and a resourceVersion, WATCH from there with bookmarks, keep the objects in memory, and
/// after any failure resume the watch from the last resourceVersion, backing off with jitter. On
/// 410 Gone it lists again and tells subscribers exactly the difference between what they had and
/// the new list, as ordinary ADDED/MODIFIED/DELETED changes — a subscriber never sees a reset.
///
/// It never keeps a stale view: when the cluster behind it is a new one — a resourceVersion that
/// goes backwards, a watch from a resourceVersion the server never issued ("Too large resource
/// version"), or a new cluster identity reported by the prober — it forgets its history and
/// relists, sending subscribers the difference (phantoms deleted). A watch that brings nothing
/// for ``Configuration/idleTimeout`` is taken for a hung apiserver: reported, closed, reopened.
///
/// New subscribers get their snapshot from memory; the first one waits for the initial LIST, and
/// when that fails (missing namespace, forbidden, cluster down) every waiting subscriber gets the
/// error and the shared watch retires. With no subscribers left it lingers briefly, then stops.
actor SharedWatch {
    /// Tunables of every shared watch.
    struct Configuration: Sendable {
        /// How long a watch without subscribers stays open for the next one.
        var linger: Duration = .seconds(15)
        /// Reconnection delays.
        var backoff = Backoff()
        /// Consecutive failures after which subscribers are told the cluster is `unreachable`
        /// (the watch keeps trying).
        var unreachableAfter = 4
        /// Changes remembered, so that a client can resume by resourceVersion alone.
        var historyLimit = 4096
        /// Page size of the LIST (`limit`).
        var listPageSize = 500
        /// Server-side timeout of one watch request, chosen at random in this range like
        /// client-go, so that the watches of many gateways do not renew in lockstep.
        var watchTimeoutSeconds: ClosedRange<Int> = 300...600
        /// Silence (no event, no bookmark, not even the response head) after which the apiserver
        /// is asked whether it is still there...
        var idleTimeout: Duration = .seconds(90)
        /// ...and how long it has to answer before it is taken for hung.
        var probeTimeout: Duration = .seconds(5)
        /// How long a subscriber resuming from a resourceVersion older than the history waits for
        /// the apiserver's changes since then before it gets a snapshot instead.
        var resumeWait: Duration = .seconds(5)
        /// Per-subscriber mailbox bounds (see ``WatchMailbox``).
        var conflateAfter = 256
        var mailboxLimit = 16_384
    }

    let key: WatchKey
    let resource: KubeResource
    let connect: @Sendable () async throws -> KubeClient
    let configuration: Configuration
    let logger: Logger
    let onRetire: @Sendable (SharedWatch) async -> Void
    /// Told when the apiserver stopped answering, so that requests to it fail fast.
    let onUnresponsive: @Sendable (String) async -> Void

    var objects: [String: JSONValue] = [:]
    var sorted: [JSONValue]?
    /// The `ADDED` event members of each object, encoded when a snapshot first needs them and
    /// kept until the object changes: a snapshot for the next subscriber costs no encoding.
    var addedEvents: [String: EncodedMembers] = [:]
    var sortedEvents: [EncodedMembers]?
    var resourceVersion: String?
    /// Recent changes (and, as `nil` changes, resourceVersions reached by a list or bookmark).
    var history: [(resourceVersion: String, change: WatchChange?)] = []
    var subscribers: [ObjectIdentifier: WatchMailbox] = [:]
    var joining = 0
    var synced = false
    var syncWaiters: [CheckedContinuation<Void, any Error>] = []
    var state = UpstreamState.connected
    var task: Task<Void, Never>?
    var lingering: Task<Void, Never>?
    var retired = false
    /// The watch request being read, and the last time it brought anything.
    var reading: Task<Void, any Error>?
    var lastActivity = ContinuousClock.now
    /// Why this watch cut its own upstream request (the idle watchdog, a reset), if it did.
    var interruption: Interruption?
    /// A relist from scratch asked for from outside (a new cluster identity): done at the next
    /// turn of the upstream loop, which ``reset(reason:)`` brings about at once.
    var pendingReset: String?
    /// Set when the cluster was found to be a new one: the highest resourceVersion seen from the
    /// clusters before it. A client resuming from a version up to this one gets a snapshot — the
    /// version may be an old cluster's, whose number the new one reuses; later ones can only be
    /// the new cluster's.
    var forgottenThrough: UInt64?
    /// Delays between reconnection attempts; reset whenever a watch is established.
    var backoff: Backoff

    /// Why the upstream request was cut from here.
    enum Interruption: Sendable {
        case idle
        case reset(String)
    }

    /// The cluster behind the watch is not the one its state came from: relist from scratch.
    struct UpstreamReset: Error, CustomStringConvertible {
        let reason: String

        var description: String { "the cluster is not the one watched before: \(reason)" }
    }

    /// The apiserver sent nothing for the idle timeout, and did not answer a probe.
    struct UpstreamUnresponsive: Error, CustomStringConvertible {
        let idle: Duration

        var description: String {
            "the apiserver sent nothing for \(idle.components.seconds) s and does not answer"
        }
    }

    init(
        key: WatchKey, resource: KubeResource, configuration: Configuration, logger: Logger,
        connect: @escaping @Sendable () async throws -> KubeClient,
        onUnresponsive: @escaping @Sendable (String) async -> Void = { _ in },
        onRetire: @escaping @Sendable (SharedWatch) async -> Void
    ) {
        self.key = key
        self.resource = resource
        self.configuration = configuration
        self.connect = connect
        self.onUnresponsive = onUnresponsive
        self.onRetire = onRetire
        self.backoff = configuration.backoff
        var logger = logger
        logger[metadataKey: "watch"] = "\(key)"
        self.logger = logger
    }

    /// Number of subscribers.
    var subscriberCount: Int { subscribers.count }

    // MARK: Subscribers

    /// Adds a subscriber: its mailbox receives the snapshot (or, with `resumeFrom`, the changes
    /// after that resourceVersion when they are still remembered) and then every change.
    /// Returns `false` when this watch has retired (ask the hub for a new one); throws the
    /// ``APIError`` of a failed initial LIST.
    func subscribe(_ mailbox: WatchMailbox, resumeFrom: String?) async throws -> Bool {
        guard try await join() else { return false }
        var replay = resumeFrom.flatMap { changes(after: $0) }
        if replay == nil, let resumeFrom {
            // Older than anything remembered (the gateway restarted, or another replica served
            // the client): the apiserver may still have it.
            replay = await upstreamChanges(after: resumeFrom)
            guard !retired else { return false }
        }
        if let replay {
            mailbox.put(.start(WatchStart(objects: nil, replay: replay, resourceVersion: resourceVersion)))
        } else {
            mailbox.put(
                .start(WatchStart(objects: snapshotEvents(), resync: resumeFrom != nil, resourceVersion: resourceVersion)))
        }
        if state != .connected { mailbox.put(.status(state, reason: nil)) }
        subscribers[ObjectIdentifier(mailbox)] = mailbox
        return true
    }

    /// Removes a subscriber; the last one starts the linger.
    func unsubscribe(_ mailbox: WatchMailbox) {
        subscribers[ObjectIdentifier(mailbox)] = nil
        lingerIfIdle()
    }

    /// Puts a fresh snapshot in a subscriber's mailbox in place of whatever waits there (the
    /// session already sent `resync`).
    func resnapshot(_ mailbox: WatchMailbox) {
        guard subscribers[ObjectIdentifier(mailbox)] != nil else { return }
        mailbox.replaceAll(with: .start(WatchStart(objects: snapshotEvents(), resourceVersion: resourceVersion)))
    }

    /// Every object, sorted by namespace and name, with the resourceVersion they are current at —
    /// from memory, once the initial LIST is done. `nil` when this watch has retired.
    func objectsNow() async throws -> (objects: [JSONValue], resourceVersion: String?)? {
        guard try await join() else { return nil }
        defer { lingerIfIdle() }
        return (snapshot(), resourceVersion)
    }

    /// Waits for the initial LIST; `false` when retired.
    func join() async throws -> Bool {
        guard !retired else { return false }
        lingering?.cancel()
        lingering = nil
        if task == nil { task = Task { await self.run() } }
        joining += 1
        defer { joining -= 1 }
        if !synced {
            try await withCheckedThrowingContinuation { syncWaiters.append($0) }
        }
        return !retired
    }

    func snapshot() -> [JSONValue] {
        if let sorted { return sorted }
        let result = objects.sorted { $0.key < $1.key }.map(\.value)
        sorted = result
        return result
    }

    /// The snapshot as `ADDED` event members, in the order of ``snapshot()``.
    func snapshotEvents() -> [EncodedMembers] {
        if let sortedEvents { return sortedEvents }
        var result: [EncodedMembers] = []
        result.reserveCapacity(objects.count)
        for key in objects.keys.sorted() {
            if let encoded = addedEvents[key] {
                result.append(encoded)
            } else {
                let encoded = WatchChange(.added, objects[key]!).encoded
                addedEvents[key] = encoded
                result.append(encoded)
            }
        }
        sortedEvents = result
        return result
    }

    func lingerIfIdle() {
        guard subscribers.isEmpty, joining == 0, !retired, lingering == nil else { return }
        let linger = configuration.linger
        lingering = Task {
            try? await Task.sleep(for: linger)
            guard !Task.isCancelled else { return }
            await self.retireIfIdle()
        }
    }

    func retireIfIdle() async {
        guard subscribers.isEmpty, joining == 0, !retired else { return }
        retire()
        await onRetire(self)
    }

    func retire() {
        retired = true
        task?.cancel()
        for mailbox in subscribers.values { mailbox.close() }
        subscribers.removeAll()
    }

    /// Stops the upstream now (gateway shutdown, cluster removed).
    func stop() {
        retire()
        let waiters = syncWaiters
        syncWaiters.removeAll()
        for waiter in waiters { waiter.resume(throwing: APIError(.clusterUnreachable, "the watch was stopped")) }
    }

}
