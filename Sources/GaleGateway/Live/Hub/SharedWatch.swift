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

    init(
        key: WatchKey, resource: KubeResource, configuration: Configuration, logger: Logger,
        connect: @escaping @Sendable () async throws -> KubeClient,
        onRetire: @escaping @Sendable (SharedWatch) async -> Void
    ) {
        self.key = key
        self.resource = resource
        self.configuration = configuration
        self.connect = connect
        self.onRetire = onRetire
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

    private func run() async {
        var backoff = configuration.backoff
        var needsList = true
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                let client = try await connect()
                if needsList {
                    try await relist(client)
                    needsList = false
                }
                let stream = try await client.watch(
                    resource, namespace: key.namespace,
                    options: ListOptions(
                        labelSelector: key.labelSelector, fieldSelector: key.upstreamFieldSelector,
                        resourceVersion: resourceVersion,
                        timeoutSeconds: Int.random(in: configuration.watchTimeoutSeconds)))
                setState(.connected, reason: nil)
                backoff.reset()
                for try await event in stream { try apply(event) }
                // The server ended the watch (its timeout, or it went away): watch again from the
                // last resourceVersion, pausing only when it keeps ending at once.
                if ContinuousClock.now - started < .seconds(1) { try await Task.sleep(for: backoff.next()) }
            } catch is CancellationError {
                return
            } catch let error as KubeError where error.isGone {
                logger.info("watch expired; relisting", metadata: ["reason": "\(error.message)"])
                needsList = true
                if backoff.failures > 0 { try? await Task.sleep(for: backoff.next()) } else { _ = backoff.next() }
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
                setState(backoff.failures >= configuration.unreachableAfter ? .unreachable : .reconnecting, reason: reason)
                logger.debug("watch failed; reconnecting", metadata: ["reason": "\(reason)", "delay": "\(delay)"])
                do { try await Task.sleep(for: delay) } catch { return }
            }
        }
    }

    /// LISTs every object in pages and brings the cache (and subscribers) up to it.
    private func relist(_ client: KubeClient) async throws {
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
            if change.kind == .deleted { objects[change.key] = nil } else { objects[change.key] = object }
            sorted = nil
            sortedEvents = nil
            addedEvents[change.key] = change.kind == .added ? change.encoded : nil
            resourceVersion = change.resourceVersion.isEmpty ? resourceVersion : change.resourceVersion
            publish(change)
        case .bookmark:
            if let version = event.resourceVersion {
                resourceVersion = version
                remember(version, nil)
            }
        case .error:
            throw KubeError.status(
                code: object["code"]?.intValue.map { Int($0) } ?? 500, reason: object["reason"]?.stringValue,
                message: object["message"]?.stringValue ?? "the watch reported an error")
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
