import GaleJSON
import GaleProtocol
import KubeClient
import Logging

/// The upstream side of a shared watch: list, watch with an idle watchdog, reconnect with
/// backoff, relist on 410 and from scratch when the cluster is a new one.
extension SharedWatch {
    /// Throws away what is known of the cluster and lists it again, sending subscribers the
    /// difference: its identity changed (see ``ClusterConnections``).
    func reset(reason: String) {
        guard !retired else { return }
        pendingReset = reason
        interrupt(.reset(reason))
    }

    func interrupt(_ reason: Interruption) {
        guard let reading else { return }
        interruption = reason
        reading.cancel()
    }

    func run() async {
        var needsList = true
        var resetReason: String?
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                let client = try await connect()
                if let reason = pendingReset ?? resetReason {
                    logger.notice("upstream is a new cluster; relisting from scratch", metadata: ["reason": "\(reason)"])
                    try await relist(client, forgetting: true)
                    // Only once the relist is done: one that fails is tried again.
                    pendingReset = nil
                    resetReason = nil
                    needsList = false
                    // Listed from the apiserver just now: subscribers are up to date and connected,
                    // even before the watch's response head arrives (some servers send it with the
                    // first event only).
                    setState(.connected, reason: nil)
                } else if needsList {
                    try await relist(client, forgetting: false)
                    needsList = false
                    setState(.connected, reason: nil)
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

    /// Watches from the last resourceVersion until the server ends the watch. A watch silent for
    /// the idle timeout (the response head included) whose server does not answer a probe throws
    /// ``UpstreamUnresponsive``; one cut by ``reset(reason:)`` throws ``UpstreamReset``.
    func watchOnce(_ client: KubeClient) async throws {
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

    func watchEstablished() {
        backoff.reset()
        setState(.connected, reason: nil)
    }

    /// LISTs every object in pages and brings the cache (and subscribers) up to it. `forgetting`
    /// drops the remembered history too: after a reset its resourceVersions belong to another
    /// cluster, so a client resuming from one gets a fresh snapshot.
    func relist(_ client: KubeClient, forgetting: Bool) async throws {
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
            Self.fillTypeMeta(&item, resource, key)
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
        if forgetting || wentBack {
            history.removeAll()
            // The cluster before this one issued versions up to (at least) the last one seen here;
            // the new one reuses those numbers. A client resuming from one of them is resynced.
            let seen = resourceVersion.flatMap(UInt64.init) ?? 0
            forgottenThrough = max(forgottenThrough ?? 0, seen)
        }
        resourceVersion = listVersion
        if let listVersion { remember(listVersion, nil) }
        if !synced {
            synced = true
            let waiters = syncWaiters
            syncWaiters.removeAll()
            for waiter in waiters { waiter.resume() }
        }
    }

    func apply(_ event: WatchEvent) throws {
        var object = event.object
        switch event.type {
        case .added, .modified, .deleted:
            Self.fillTypeMeta(&object, resource, key)
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

    func publish(_ change: WatchChange) {
        remember(change.resourceVersion, change)
        for (id, mailbox) in subscribers {
            mailbox.put(.change(change))
            if mailbox.isOverflowed { subscribers[id] = nil }
        }
        if subscribers.isEmpty { lingerIfIdle() }
    }

    func remember(_ version: String, _ change: WatchChange?) {
        history.append((version, change))
        if history.count > configuration.historyLimit + configuration.historyLimit / 4 {
            history.removeFirst(history.count - configuration.historyLimit)
        }
    }

    func setState(_ new: UpstreamState, reason: String?) {
        guard new != state else { return }
        state = new
        logger.info("upstream watch state changed", metadata: ["state": "\(new.rawValue)", "reason": "\(reason ?? "")"])
        for mailbox in subscribers.values { mailbox.put(.status(new, reason: reason)) }
    }

    func failInitial(_ error: any Error) {
        let failure: APIError =
            switch error {
            case let error as APIError: error
            case let error as KubeError: APIError(error, verb: .read)
            default: APIError(.clusterUnreachable, "cannot watch \(key.resource): \(APIError.reason(of: error))")
            }
        retired = true
        let waiters = syncWaiters
        syncWaiters.removeAll()
        for waiter in waiters { waiter.resume(throwing: failure) }
        Task { await onRetire(self) }
    }

    /// Ends the watch for good with `error` for every subscriber, and stops its upstream.
    func end(with error: APIError) {
        failAll(error)
        task?.cancel()
    }

    func failAll(_ error: APIError) {
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
