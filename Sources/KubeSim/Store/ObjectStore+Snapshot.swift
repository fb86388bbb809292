import GaleJSON
import Synchronization

extension ObjectStore {
    /// A consistent copy of what a state file keeps, taken under the store lock (copy-on-write keeps it cheap;
    /// the slow part, writing it out, happens outside).
    func snapshot() -> StateSnapshot {
        state.withLock { state in
            var objects: [ResourceType: [JSONValue]] = [:]
            for (type, byKey) in state.objects where !byKey.isEmpty {
                let index = state.index[type] ?? SortedKeys(unsorted: byKey.keys)
                objects[type] = index.keys.compactMap { byKey[$0] }
            }
            return StateSnapshot(
                resourceVersion: state.resourceVersion, compactedRevision: state.compactedRevision, objects: objects,
                history: Array(state.history[state.historyStart...]))
        }
    }

    /// Replaces the store's contents with a saved state: objects, the resourceVersion counter and as much of the
    /// change history as this store's window holds. Open watches end (they belong to the replaced cluster).
    func restore(_ snapshot: StateSnapshot) {
        let window = configuration.historyWindow
        let ended = state.withLock { state -> [Watcher] in
            state.objects = [:]
            state.index = [:]
            for (type, items) in snapshot.objects {
                var byKey: [String: JSONValue] = [:]
                for item in items {
                    let namespace = type.namespaced ? item[path: ["metadata", "namespace"]]?.stringValue : nil
                    byKey[Self.key(namespace, item[path: ["metadata", "name"]]?.stringValue ?? "")] = item
                }
                state.objects[type] = byKey
                state.index[type] = SortedKeys(unsorted: byKey.keys)
            }
            state.resourceVersion = snapshot.resourceVersion
            var history = snapshot.history
            var compacted = snapshot.compactedRevision
            if history.count > window {
                compacted = history[history.count - window - 1].resourceVersion
                history.removeFirst(history.count - window)
            }
            state.history = history
            state.historyStart = 0
            state.compactedRevision = compacted
            for type in ResourceCatalog.stored { state.lastChange[type] = snapshot.resourceVersion }
            let watchers = Array(state.watchers.values)
            state.watchers.removeAll()
            return watchers
        }
        for watcher in ended { watcher.continuation.finish() }
    }
}
