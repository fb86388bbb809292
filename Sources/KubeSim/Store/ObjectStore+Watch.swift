import Synchronization

/// An open watch on the store: the messages, and its identity for bookmarks and teardown.
public struct WatchSubscription: Sendable {
    /// Messages in resourceVersion order.
    public let messages: AsyncStream<WatchMessage>
    let id: Int
}

extension ObjectStore {
    /// Opens a watch. Without `resourceVersion` (or with 0) the current matching objects are sent first as
    /// ADDED; otherwise every change after it is replayed from the history window, or the watch fails with
    /// 410 Expired when the version has left the window, or 504 "Too large resource version" when it is
    /// one this store has never issued (a client that watched an earlier incarnation of the cluster).
    public func watch(_ type: ResourceType, filter: ObjectFilter, resourceVersion: Int?) throws(KubeStatusError) -> WatchSubscription {
        let (stream, continuation) = AsyncStream<WatchMessage>.makeStream()
        let id = try state.withLock { state throws(KubeStatusError) -> Int in
            purgeTerminated(&state)
            if let since = resourceVersion, since > 0 {
                if state.expireNextWatches > 0 {
                    state.expireNextWatches -= 1
                    throw .expired("too old resource version: \(since) (\(state.resourceVersion))")
                }
                if since > state.resourceVersion {
                    throw .tooLargeResourceVersion(since, current: state.resourceVersion)
                }
                if since < state.compactedRevision {
                    throw .expired("too old resource version: \(since) (\(state.compactedRevision))")
                }
                for event in state.history[state.historyStart...] where event.resource == type && event.resourceVersion > since {
                    if let message = Self.message(for: event, filter: filter) { continuation.yield(message) }
                }
            } else {
                let objects = state.objects[type] ?? [:]
                let index = state.index[type] ?? SortedKeys()
                for key in index.keys[index.range(namespace: filter.namespace)] {
                    guard let object = objects[key], filter.matches(object) else { continue }
                    continuation.yield(.event(type: "ADDED", object: object))
                }
            }
            state.nextWatcherID += 1
            state.watchers[state.nextWatcherID] = Watcher(resource: type, filter: filter, continuation: continuation)
            return state.nextWatcherID
        }
        continuation.onTermination = { [weak self] _ in
            self?.terminated.withLock { _ = $0.insert(id) }
        }
        return WatchSubscription(messages: stream, id: id)
    }

    /// Queues a BOOKMARK with the latest resourceVersion on one watch. Because it is queued under the store lock,
    /// every event up to that version has already been queued before it.
    func sendBookmark(_ subscription: WatchSubscription) {
        state.withLock { state in
            purgeTerminated(&state)
            guard let watcher = state.watchers[subscription.id] else { return }
            watcher.continuation.yield(
                .bookmark(kind: watcher.resource.kind, apiVersion: watcher.resource.apiVersion, resourceVersion: state.resourceVersion))
        }
    }

    /// Ends a watch.
    func cancel(_ subscription: WatchSubscription) {
        let watcher = state.withLock { $0.watchers.removeValue(forKey: subscription.id) }
        watcher?.continuation.finish()
    }

    /// Number of open watches, for one resource or all.
    public func openWatchCount(_ type: ResourceType? = nil) -> Int {
        state.withLock { state in
            purgeTerminated(&state)
            return state.watchers.values.filter { type == nil || $0.resource == type }.count
        }
    }

    /// Ends every open watch now (the clients see the stream end).
    public func dropAllWatches() {
        let watchers = state.withLock { state in
            let all = Array(state.watchers.values)
            state.watchers.removeAll()
            return all
        }
        for watcher in watchers { watcher.continuation.finish() }
    }

    /// Forgets all history: any watch resuming from an older resourceVersion gets 410 Expired.
    public func compactHistory() {
        state.withLock { state in
            state.compactedRevision = state.resourceVersion
            state.history.removeAll()
            state.historyStart = 0
        }
    }

    /// The next `count` watches that resume from a resourceVersion fail with 410 Expired.
    public func expireNextWatches(_ count: Int = 1) {
        state.withLock { $0.expireNextWatches += count }
    }

    /// The oldest resourceVersion a watch can still resume from.
    public var compactedRevision: Int { state.withLock { $0.compactedRevision } }
}
