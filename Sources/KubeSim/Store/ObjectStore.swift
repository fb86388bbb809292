import Foundation
import GaleJSON
import Synchronization

/// The simulator's in-memory object store: objects keyed by resource, one global monotonically
/// increasing resourceVersion, a bounded history window of changes and the open watches.
public final class ObjectStore: Sendable {
    /// Store settings.
    public struct Configuration: Sendable {
        /// How many changes are kept for watches that resume from a resourceVersion.
        public var historyWindow: Int

        public init(historyWindow: Int = 2000) {
            self.historyWindow = historyWindow
        }
    }

    struct Watcher {
        let resource: ResourceType
        let filter: ObjectFilter
        let continuation: AsyncStream<WatchMessage>.Continuation
    }

    struct State {
        var resourceVersion = 0
        var objects: [ResourceType: [String: JSONValue]] = [:]
        /// The keys of `objects` in sorted order, per resource (lists and pages read them instead of sorting).
        var index: [ResourceType: SortedKeys] = [:]
        var history: [StoreEvent] = []
        var historyStart = 0
        var compactedRevision = 0
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 0
        var expireNextWatches = 0
        var changeListeners: [Int: AsyncStream<Void>.Continuation] = [:]
        /// resourceVersion of the latest change per resource (caches derived from a kind check it).
        var lastChange: [ResourceType: Int] = [:]
    }

    let configuration: Configuration
    let state: Mutex<State>
    /// Ids of watches and change listeners whose streams ended. Stream termination handlers only touch this
    /// (never the store lock): they can run while the stream's own lock is held, and `record` yields into
    /// streams under the store lock, so taking the store lock there could deadlock.
    let terminated = Mutex<Set<Int>>([])

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        self.state = Mutex(State())
    }

    static func key(_ namespace: String?, _ name: String) -> String { "\(namespace ?? "")/\(name)" }

    /// The latest resourceVersion.
    public var currentResourceVersion: Int { state.withLock { $0.resourceVersion } }

    // MARK: Reads

    /// One object, or 404.
    public func get(_ type: ResourceType, namespace: String?, name: String) throws(KubeStatusError) -> JSONValue {
        guard let object = state.withLock({ $0.objects[type]?[Self.key(type.namespaced ? namespace : nil, name)] }) else {
            throw .notFound(type, name)
        }
        return object
    }

    /// The object if present.
    public func find(_ type: ResourceType, namespace: String?, name: String) -> JSONValue? {
        try? get(type, namespace: namespace, name: name)
    }

    /// All matching objects sorted by namespace and name, and the resourceVersion of the snapshot. A namespace
    /// filter reads only that namespace's objects.
    public func list(_ type: ResourceType, filter: ObjectFilter = .init()) -> (items: [JSONValue], resourceVersion: Int) {
        state.withLock { state in
            let objects = state.objects[type] ?? [:]
            let index = state.index[type] ?? SortedKeys()
            let keys = index.keys[index.range(namespace: filter.namespace)]
            var items: [JSONValue] = []
            items.reserveCapacity(keys.count)
            for key in keys {
                guard let object = objects[key], filter.matches(object) else { continue }
                items.append(object)
            }
            return (items, state.resourceVersion)
        }
    }

    /// One page of a list: items whose key sorts after `after`, at most `limit` of them. `lastKey` is set when more
    /// follow; `remaining` counts them when the filter has no selectors (the apiserver leaves `remainingItemCount`
    /// out for selector queries, whose count would cost a scan of the rest).
    func listPage(_ type: ResourceType, filter: ObjectFilter, limit: Int?, after: String?)
        -> (items: [JSONValue], resourceVersion: Int, lastKey: String?, remaining: Int?)
    {
        state.withLock { state in
            let objects = state.objects[type] ?? [:]
            let index = state.index[type] ?? SortedKeys()
            let range = index.range(namespace: filter.namespace)
            var position = max(range.lowerBound, after.map(index.upperBound) ?? range.lowerBound)
            var items: [JSONValue] = []
            var lastKey: String?
            while position < range.upperBound, limit.map({ items.count < $0 }) ?? true {
                let key = index.keys[position]
                position += 1
                guard let object = objects[key], filter.matches(object) else { continue }
                items.append(object)
                lastKey = key
            }
            if filter.selectsAllInNamespace {
                let remaining = range.upperBound - position
                return (items, state.resourceVersion, remaining > 0 ? lastKey : nil, remaining > 0 ? remaining : nil)
            }
            while position < range.upperBound {
                if let object = objects[index.keys[position]], filter.matches(object) {
                    return (items, state.resourceVersion, lastKey, nil)
                }
                position += 1
            }
            return (items, state.resourceVersion, nil, nil)
        }
    }

    /// Every object of every stored resource that names `uid` in its ownerReferences.
    public func dependents(of uid: String) -> [(ResourceType, JSONValue)] {
        state.withLock { state in
            var result: [(ResourceType, JSONValue)] = []
            for (type, objects) in state.objects {
                for object in objects.values where Self.ownerUIDs(object).contains(uid) {
                    result.append((type, object))
                }
            }
            return result
        }
    }

    static func ownerUIDs(_ object: JSONValue) -> [String] {
        (object[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []).compactMap { $0["uid"]?.stringValue }
    }

    // MARK: Writes

    /// Stores a new object, filling uid, resourceVersion, creationTimestamp and generation.
    @discardableResult
    public func create(_ type: ResourceType, namespace: String?, object: JSONValue, dryRun: Bool = false)
        throws(KubeStatusError) -> JSONValue
    {
        var object = object
        let namespace = type.namespaced ? (namespace ?? object[path: ["metadata", "namespace"]]?.stringValue ?? "default") : nil
        if let bodyNamespace = object[path: ["metadata", "namespace"]]?.stringValue, type.namespaced, !bodyNamespace.isEmpty,
            bodyNamespace != namespace
        {
            throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        var name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        if name.isEmpty, let prefix = object[path: ["metadata", "generateName"]]?.stringValue, !prefix.isEmpty {
            name = prefix + NameGenerator.suffix()
        }
        guard !name.isEmpty else {
            throw .invalid(type, "", field: "metadata.name", "Required value: name or generateName is required")
        }
        object["kind"] = .string(type.kind)
        object["apiVersion"] = .string(type.apiVersion)
        object[path: ["metadata", "name"]] = .string(name)
        if let namespace { object[path: ["metadata", "namespace"]] = .string(namespace) }
        object[path: ["metadata", "uid"]] = .string(UUID().uuidString.lowercased())
        object[path: ["metadata", "creationTimestamp"]] = .string(KubeTime.format(Date()))
        if object["spec"] != nil { object[path: ["metadata", "generation"]] = 1 }
        object[path: ["metadata", "resourceVersion"]] = nil
        let finalObject = object
        return try state.withLock { state throws(KubeStatusError) -> JSONValue in
            if let namespace {
                guard let ns = state.objects[ResourceCatalog.namespaces]?[Self.key(nil, namespace)] else {
                    throw .namespaceNotFound(namespace)
                }
                if ns[path: ["status", "phase"]]?.stringValue == "Terminating" {
                    throw KubeStatusError(
                        code: 403, reason: "Forbidden",
                        message:
                            "\(type.plural) \"\(name)\" is forbidden: unable to create new content in namespace \(namespace) because it is being terminated",
                        details: ["name": .string(name), "kind": .string(type.plural)])
                }
            }
            let key = Self.key(namespace, name)
            if state.objects[type]?[key] != nil { throw .alreadyExists(type, name) }
            var stored = finalObject
            if dryRun {
                stored[path: ["metadata", "resourceVersion"]] = nil
                return stored
            }
            state.resourceVersion += 1
            stored[path: ["metadata", "resourceVersion"]] = .string(String(state.resourceVersion))
            state.objects[type, default: [:]][key] = stored
            state.index[type, default: SortedKeys()].insert(key)
            record(&state, StoreEvent(kind: .added, resource: type, object: stored, previous: nil, resourceVersion: state.resourceVersion))
            return stored
        }
    }

    /// Replaces an object (409 when `metadata.resourceVersion` is set and stale). Status is kept from the stored
    /// object unless `statusOnly`, in which case only the status is taken from `object`.
    @discardableResult
    public func update(
        _ type: ResourceType, namespace: String?, name: String, object: JSONValue, statusOnly: Bool = false,
        dryRun: Bool = false
    ) throws(KubeStatusError) -> JSONValue {
        let expected = object[path: ["metadata", "resourceVersion"]]?.stringValue ?? ""
        return try modify(type, namespace: namespace, name: name, dryRun: dryRun) { existing throws(KubeStatusError) in
            if !expected.isEmpty, expected != existing[path: ["metadata", "resourceVersion"]]?.stringValue {
                throw .conflict(type, name)
            }
            if let bodyName = object[path: ["metadata", "name"]]?.stringValue, !bodyName.isEmpty, bodyName != name {
                throw .badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
            }
            if statusOnly {
                existing["status"] = object["status"]
                return
            }
            var replacement = object
            for key in ["uid", "creationTimestamp", "namespace", "name", "deletionTimestamp", "generation"] {
                replacement[path: ["metadata", key]] = existing[path: ["metadata", key]]
            }
            if type.subresources.contains("status") { replacement["status"] = existing["status"] }
            existing = replacement
        }
    }

    /// Read-modify-write of one object under the store lock. A change that leaves the object equal is not
    /// recorded (no new resourceVersion), like the apiserver's no-op updates. `generation` is bumped when `spec` changes.
    @discardableResult
    public func modify(
        _ type: ResourceType, namespace: String?, name: String, dryRun: Bool = false,
        _ body: (inout JSONValue) throws(KubeStatusError) -> Void
    ) throws(KubeStatusError) -> JSONValue {
        let key = Self.key(type.namespaced ? namespace : nil, name)
        return try state.withLock { state throws(KubeStatusError) -> JSONValue in
            guard let existing = state.objects[type]?[key] else { throw .notFound(type, name) }
            var updated = existing
            try body(&updated)
            updated["kind"] = .string(type.kind)
            updated["apiVersion"] = .string(type.apiVersion)
            updated[path: ["metadata", "resourceVersion"]] = existing[path: ["metadata", "resourceVersion"]]
            if updated == existing { return existing }
            if updated["spec"] != existing["spec"] {
                updated[path: ["metadata", "generation"]] = .int(Int64((existing[path: ["metadata", "generation"]]?.integer ?? 0) + 1))
            }
            if dryRun { return updated }
            state.resourceVersion += 1
            updated[path: ["metadata", "resourceVersion"]] = .string(String(state.resourceVersion))
            state.objects[type]![key] = updated
            record(
                &state,
                StoreEvent(kind: .modified, resource: type, object: updated, previous: existing, resourceVersion: state.resourceVersion))
            return updated
        }
    }

    /// Removes one object (no cascading; see ``ClusterAPI`` for propagation). Returns the last state.
    @discardableResult
    public func remove(_ type: ResourceType, namespace: String?, name: String, expectedUID: String? = nil, dryRun: Bool = false)
        throws(KubeStatusError) -> JSONValue
    {
        let key = Self.key(type.namespaced ? namespace : nil, name)
        return try state.withLock { state throws(KubeStatusError) -> JSONValue in
            guard var object = state.objects[type]?[key] else { throw .notFound(type, name) }
            if let expectedUID, object[path: ["metadata", "uid"]]?.stringValue != expectedUID {
                throw KubeStatusError(
                    code: 409, reason: "Conflict",
                    message: "Precondition failed: UID in precondition: \(expectedUID), UID in object meta: \(object[path: ["metadata", "uid"]]?.stringValue ?? "")")
            }
            if object[path: ["metadata", "deletionTimestamp"]] == nil {
                object[path: ["metadata", "deletionTimestamp"]] = .string(KubeTime.format(Date()))
            }
            if dryRun { return object }
            state.resourceVersion += 1
            object[path: ["metadata", "resourceVersion"]] = .string(String(state.resourceVersion))
            state.objects[type]![key] = nil
            state.index[type]?.remove(key)
            record(&state, StoreEvent(kind: .deleted, resource: type, object: object, previous: nil, resourceVersion: state.resourceVersion))
            return object
        }
    }

    /// Forgets ended streams; call with the store lock held.
    func purgeTerminated(_ state: inout State) {
        let ended = terminated.withLock { ids -> Set<Int> in
            defer { ids.removeAll() }
            return ids
        }
        for id in ended {
            state.watchers[id] = nil
            state.changeListeners[id] = nil
        }
    }

    private func record(_ state: inout State, _ event: StoreEvent) {
        purgeTerminated(&state)
        state.lastChange[event.resource] = event.resourceVersion
        state.history.append(event)
        let overflow = state.history.count - state.historyStart - configuration.historyWindow
        if overflow > 0 {
            state.historyStart += overflow
            state.compactedRevision = state.history[state.historyStart - 1].resourceVersion
            if state.historyStart > 4096 {
                state.history.removeFirst(state.historyStart)
                state.historyStart = 0
            }
        }
        for watcher in state.watchers.values where watcher.resource == event.resource {
            if let message = Self.message(for: event, filter: watcher.filter) {
                watcher.continuation.yield(message)
            }
        }
        for listener in state.changeListeners.values { listener.yield() }
    }

    static func message(for event: StoreEvent, filter: ObjectFilter) -> WatchMessage? {
        let now = filter.matches(event.object)
        switch event.kind {
        case .added: return now ? .event(type: "ADDED", object: event.object) : nil
        case .deleted: return now ? .event(type: "DELETED", object: event.object) : nil
        case .modified:
            let before = event.previous.map(filter.matches) ?? false
            switch (before, now) {
            case (true, true): return .event(type: "MODIFIED", object: event.object)
            case (false, true): return .event(type: "ADDED", object: event.object)
            case (true, false): return .event(type: "DELETED", object: event.object)
            case (false, false): return nil
            }
        }
    }

    /// A stream that yields (coalesced) whenever anything in the store changes; used by controllers.
    func changeNotifications() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            state.nextWatcherID += 1
            state.changeListeners[state.nextWatcherID] = continuation
            return state.nextWatcherID
        }
        continuation.onTermination = { [weak self] _ in
            self?.terminated.withLock { _ = $0.insert(id) }
        }
        return stream
    }
}
