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
        /// Per-subscriber mailbox bounds (see ``WatchMailbox``).
        var conflateAfter = 256
        var mailboxLimit = 16_384
    }

    let key: WatchKey
    private let resource: KubeResource
    private let connect: @Sendable () async throws -> KubeClient
    private let configuration: Configuration
    private let logger: Logger
    private let onRetire: @Sendable (SharedWatch) async -> Void
    /// Told when the apiserver stopped answering, so that requests to it fail fast.
    private let onUnresponsive: @Sendable (String) async -> Void

    private var objects: [String: JSONValue] = [:]
    private var sorted: [JSONValue]?
    /// The `ADDED` event members of each object, encoded when a snapshot first needs them and
    /// kept until the object changes: a snapshot for the next subscriber costs no encoding.
    private var addedEvents: [String: EncodedMembers] = [:]
    private var sortedEvents: [EncodedMembers]?
    private var resourceVersion: String?
    /// Recent changes (and, as `nil` changes, resourceVersions reached by a list or bookmark).
    private var history: [(resourceVersion: String, change: WatchChange?)] = []
    private var subscribers: [ObjectIdentifier: WatchMailbox] = [:]
    private var joining = 0
    private var synced = false
    private var syncWaiters: [CheckedContinuation<Void, any Error>] = []
    private var state = UpstreamState.connected
    private var task: Task<Void, Never>?
    private var lingering: Task<Void, Never>?
    private var retired = false
    /// The watch request being read, and the last time it brought anything.
    private var reading: Task<Void, any Error>?
    private var lastActivity = ContinuousClock.now
    /// Why this watch cut its own upstream request (the idle watchdog, a reset), if it did.
    private var interruption: Interruption?
    /// A relist from scratch asked for while no request was being read.
    private var pendingReset: String?
    /// Delays between reconnection attempts; reset whenever a watch is established.
    private var backoff: Backoff

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
        if let resumeFrom, let changes = changes(after: resumeFrom) {
            mailbox.put(.start(WatchStart(objects: nil, replay: changes, resourceVersion: resourceVersion)))
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
    private func join() async throws -> Bool {
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

    private func snapshot() -> [JSONValue] {
        if let sorted { return sorted }
        let result = objects.sorted { $0.key < $1.key }.map(\.value)
        sorted = result
        return result
    }

    /// The snapshot as `ADDED` event members, in the order of ``snapshot()``.
    private func snapshotEvents() -> [EncodedMembers] {
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

    private func changes(after version: String) -> [WatchChange]? {
        if version == resourceVersion { return [] }
        guard let index = history.lastIndex(where: { $0.resourceVersion == version }) else { return nil }
        return history[(index + 1)...].compactMap(\.change)
    }

    private func lingerIfIdle() {
        guard subscribers.isEmpty, joining == 0, !retired, lingering == nil else { return }
        let linger = configuration.linger
        lingering = Task {
            try? await Task.sleep(for: linger)
            guard !Task.isCancelled else { return }
            await self.retireIfIdle()
        }
    }

    private func retireIfIdle() async {
        guard subscribers.isEmpty, joining == 0, !retired else { return }
        retire()
        await onRetire(self)
    }

    private func retire() {
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

    // MARK: Upstream

    /// Throws away what is known of the cluster and lists it again, sending subscribers the
    /// difference: its identity changed (see ``ClusterConnections``).
    func reset(reason: String) {
        guard !retired else { return }
        pendingReset = reason
        interrupt(.reset(reason))
    }

    private func interrupt(_ reason: Interruption) {
        guard let reading else { return }
        interruption = reason
        reading.cancel()
    }

    private func run() async {
        var needsList = true
        var resetReason: String?
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                let client = try await connect()
                if let reason = pendingReset ?? resetReason {
                    logger.notice("upstream is a new cluster; relisting from scratch", metadata: ["reason": "\(reason)"])
                    pendingReset = nil
                    resetReason = nil
                    try await relist(client, forgetting: true)
                    needsList = false
                } else if needsList {
                    try await relist(client, forgetting: false)
                    needsList = false
                }
                try await watchOnce(client)
                // The server ended the watch (its timeout, or it went away): watch again from the
                // last resourceVersion, pausing only when it keeps ending at once.
                if ContinuousClock.now - started < .seconds(1) { try await Task.sleep(for: backoff.next()) }
            } catch is CancellationError {
                return
            } catch let error as KubeError where error.isGone {
                logger.info("watch expired; relisting", metadata: ["reason": "\(error.message)"])
                needsList = true
                if backoff.failures > 0 { try? await Task.sleep(for: backoff.next()) } else { _ = backoff.next() }
            } catch let error as KubeError where error.isResourceVersionTooLarge && synced {
                // Asked to resume from a version this server never issued: it is not the cluster
                // our objects came from (restored, rebuilt, restarted with fresh state).
                resetReason = error.message
            } catch let reset as UpstreamReset {
                resetReason = reset.reason
            } catch let error as APIError where error.code == .clusterNotFound {
                failAll(error)  // the cluster was removed from the registry: nothing to come back to
                return
            } catch {
                if Task.isCancelled { return }
                guard synced else {
                    failInitial(error)
                    return
                }
                let reason = Self.describe(error)
                let delay = backoff.next()
                if error is UpstreamUnresponsive {
                    await onUnresponsive(reason)
                    // A hung apiserver: say so at once, and `unreachable` when it stays hung.
                    setState(state == .connected ? .reconnecting : .unreachable, reason: reason)
                } else {
                    setState(
                        backoff.failures >= configuration.unreachableAfter ? .unreachable : .reconnecting, reason: reason)
                }
                logger.debug("watch failed; reconnecting", metadata: ["reason": "\(reason)", "delay": "\(delay)"])
                do { try await Task.sleep(for: delay) } catch { return }
            }
        }
    }

    /// Watches from the last resourceVersion until the server ends the watch. A watch silent for the idle timeout (the response head included)
    /// throws ``UpstreamUnresponsive``; one cut by ``reset(reason:)`` throws ``UpstreamReset``.
    private func watchOnce(_ client: KubeClient) async throws {
        if let reason = pendingReset { throw UpstreamReset(reason: reason) }
        interruption = nil
        lastActivity = .now
        let options = ListOptions(
            labelSelector: key.labelSelector, fieldSelector: key.upstreamFieldSelector,
            resourceVersion: resourceVersion, timeoutSeconds: Int.random(in: configuration.watchTimeoutSeconds))
        // Both tasks run on this actor (they inherit its isolation); the watchdog cancels the
        // reader when nothing arrives in time, and the reader is cancelled with this call.
        let reading = Task {
            let stream = try await client.watch(resource, namespace: key.namespace, options: options)
            self.watchEstablished()
            for try await event in stream {
                self.lastActivity = .now
                try self.apply(event)
            }
        }
        self.reading = reading
        let idleTimeout = configuration.idleTimeout
        let watchdog = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: idleTimeout / 4)
                if ContinuousClock.now - self.lastActivity > idleTimeout {
                    self.interrupt(.idle)
                    return
                }
            }
        }
        defer {
            watchdog.cancel()
            self.reading = nil
        }
        do {
            try await withTaskCancellationHandler {
                try await reading.value
            } onCancel: {
                reading.cancel()
            }
        } catch {
            if Task.isCancelled { throw CancellationError() }
            switch interruption {
            case .idle:
                // A quiet collection on a server that sends no bookmarks looks the same as a hung
                // server: ask the server. If it answers, the watch is simply opened again.
                if (try? await client.version(timeout: configuration.probeTimeout)) != nil { return }
                throw UpstreamUnresponsive(idle: idleTimeout)
            case .reset(let reason): throw UpstreamReset(reason: reason)
            case nil: throw error
            }
        }
    }

    private func watchEstablished() {
        backoff.reset()
        setState(.connected, reason: nil)
    }

    /// LISTs every object in pages and brings the cache (and subscribers) up to it. `forgetting`
    /// drops the remembered history too: after a reset its resourceVersions belong to another
    /// cluster, so a client resuming from one gets a fresh snapshot.
    private func relist(_ client: KubeClient, forgetting: Bool) async throws {
        var items: [JSONValue] = []
        var continueToken: String?
        var listVersion: String?
        repeat {
            let page: JSONValue
            do {
                page = try await client.list(
                    resource, namespace: key.namespace,
                    options: ListOptions(
                        labelSelector: key.labelSelector, fieldSelector: key.upstreamFieldSelector,
                        limit: configuration.listPageSize, continueToken: continueToken))
            } catch let error as KubeError where error.isGone && continueToken != nil {
                // The continue token expired mid-list: start over in one request, as client-go's pager does.
                items = []
                continueToken = nil
                page = try await client.list(
                    resource, namespace: key.namespace,
                    options: ListOptions(labelSelector: key.labelSelector, fieldSelector: key.upstreamFieldSelector))
            }
            items += page["items"]?.arrayValue ?? []
            listVersion = page["metadata"]?["resourceVersion"]?.stringValue
            continueToken = page["metadata"]?["continue"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        } while continueToken != nil

        var fresh: [String: JSONValue] = [:]
        for item in items {
            var item = item
            Self.fillTypeMeta(&item, resource)
            fresh[WatchChange.key(of: item)] = item
        }
        if synced {
            for change in Self.difference(from: objects, to: fresh) { publish(change) }
        }
        objects = fresh
        sorted = nil
        sortedEvents = nil
        addedEvents.removeAll()
        let wentBack = listVersion.flatMap { new in resourceVersion.map { Self.isOlder(new, than: $0) } } ?? false
        if forgetting || wentBack { history.removeAll() }
        resourceVersion = listVersion
        if let listVersion { remember(listVersion, nil) }
        if !synced {
            synced = true
            let waiters = syncWaiters
            syncWaiters.removeAll()
            for waiter in waiters { waiter.resume() }
        }
    }

    private func apply(_ event: WatchEvent) throws {
        var object = event.object
        switch event.type {
        case .added, .modified, .deleted:
            Self.fillTypeMeta(&object, resource)
            let change = WatchChange(WatchChange.Kind(rawValue: event.type.rawValue)!, object)
            if let last = resourceVersion, Self.isOlder(change.resourceVersion, than: last) {
                throw UpstreamReset(reason: "resourceVersion went back from \(last) to \(change.resourceVersion)")
            }
            if change.kind == .deleted { objects[change.key] = nil } else { objects[change.key] = object }
            sorted = nil
            sortedEvents = nil
            addedEvents[change.key] = change.kind == .added ? change.encoded : nil
            resourceVersion = change.resourceVersion.isEmpty ? resourceVersion : change.resourceVersion
            publish(change)
        case .bookmark:
            if let version = event.resourceVersion {
                if let last = resourceVersion, Self.isOlder(version, than: last) {
                    throw UpstreamReset(reason: "resourceVersion went back from \(last) to \(version)")
                }
                resourceVersion = version
                remember(version, nil)
            }
        case .error:
            throw KubeError.fromStatus(object)
        default:
            logger.debug("unknown watch event ignored", metadata: ["type": "\(event.type)"])
        }
    }

    private func publish(_ change: WatchChange) {
        remember(change.resourceVersion, change)
        for (id, mailbox) in subscribers {
            mailbox.put(.change(change))
            if mailbox.isOverflowed { subscribers[id] = nil }
        }
        if subscribers.isEmpty { lingerIfIdle() }
    }

    private func remember(_ version: String, _ change: WatchChange?) {
        history.append((version, change))
        if history.count > configuration.historyLimit + configuration.historyLimit / 4 {
            history.removeFirst(history.count - configuration.historyLimit)
        }
    }

    private func setState(_ new: UpstreamState, reason: String?) {
        guard new != state else { return }
        state = new
        logger.info("upstream watch state changed", metadata: ["state": "\(new.rawValue)", "reason": "\(reason ?? "")"])
        for mailbox in subscribers.values { mailbox.put(.status(new, reason: reason)) }
    }

    private func failInitial(_ error: any Error) {
        let failure: APIError =
            switch error {
            case let error as APIError: error
            case let error as KubeError: APIError(error, verb: .read)
            default: APIError(.clusterUnreachable, "cannot watch \(key.resource): \(error)")
            }
        retired = true
        let waiters = syncWaiters
        syncWaiters.removeAll()
        for waiter in waiters { waiter.resume(throwing: failure) }
        Task { await onRetire(self) }
    }

    private func failAll(_ error: APIError) {
        if !synced {
            failInitial(error)
            return
        }
        for mailbox in subscribers.values { mailbox.put(.failed(error)) }
        subscribers.removeAll()
        retired = true
        Task { await onRetire(self) }
    }
}
