import GaleJSON
import KubeClient

extension SharedWatch {
    /// The changes after `version` from the history, when it covers them: `version` is in it, or
    /// (integer resourceVersions) lies between its first entry and now — the history holds every
    /// change after its first entry.
    func changes(after version: String) -> [WatchChange]? {
        if isForgotten(version) { return nil }
        if version == resourceVersion { return [] }
        if let index = history.lastIndex(where: { $0.resourceVersion == version }) {
            return history[(index + 1)...].compactMap(\.change)
        }
        guard let asked = UInt64(version), let first = history.first,
            let oldest = UInt64(first.resourceVersion), let current = resourceVersion.flatMap(UInt64.init),
            asked >= oldest, asked <= current
        else { return nil }
        return history.filter { entry in UInt64(entry.resourceVersion).map { $0 > asked } ?? false }.compactMap(\.change)
    }

    /// Whether `version` may belong to a cluster this watch saw before the present one.
    func isForgotten(_ version: String) -> Bool {
        guard let forgottenThrough else { return false }
        return (UInt64(version) ?? 0) <= forgottenThrough
    }

    /// The changes after `version`, older than the history, asked of the apiserver (see
    /// ``upstreamChanges(from:until:client:resource:key:)``) and joined to the history; `nil` when the apiserver no
    /// longer has them (410), does not answer in time, or resourceVersions are not integers.
    func upstreamChanges(after version: String) async -> [WatchChange]? {
        guard !isForgotten(version), let asked = UInt64(version), asked > 0, let first = history.first,
            let oldest = UInt64(first.resourceVersion), asked < oldest
        else { return nil }
        let resource = self.resource
        let key = self.key
        let connect = self.connect
        let wait = configuration.resumeWait
        let older = await withTaskGroup(of: [WatchChange]?.self) { group in
            group.addTask {
                guard let client = try? await connect() else { return nil }
                return try? await Self.upstreamChanges(
                    from: version, until: oldest, client: client, resource: resource, key: key)
            }
            group.addTask {
                try? await Task.sleep(for: wait)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        // The history may have moved on meanwhile; it must still start at or before `oldest`.
        guard let older, let start = history.first.flatMap({ UInt64($0.resourceVersion) }), start <= oldest else {
            return nil
        }
        let later = history.filter { entry in UInt64(entry.resourceVersion).map { $0 > oldest } ?? false }
        return older + later.compactMap(\.change)
    }


    /// The changes of `key` after resourceVersion `version` up to `oldest` (the first version the
    /// shared watch remembers), read from a watch the apiserver starts at `version` and ends after
    /// a second (`timeoutSeconds=1`): it sends what happened since `version` first, in order. The
    /// read stops at the first change after `oldest` or a bookmark at or past it — the history
    /// has the rest — or when the server ends the watch. Throws when the server refuses (410
    /// Gone: too old) or reports an error on the stream.
    static func upstreamChanges(
        from version: String, until oldest: UInt64, client: KubeClient, resource: KubeResource, key: WatchKey
    ) async throws -> [WatchChange] {
        let stream = try await client.watch(
            resource, namespace: key.namespace,
            options: ListOptions(
                labelSelector: key.labelSelector, fieldSelector: key.upstreamFieldSelector, resourceVersion: version,
                timeoutSeconds: 1))
        var changes: [WatchChange] = []
        for try await event in stream {
            switch event.type {
            case .added, .modified, .deleted:
                var object = event.object
                fillTypeMeta(&object, resource, key)
                let change = WatchChange(WatchChange.Kind(rawValue: event.type.rawValue)!, object)
                guard let version = UInt64(change.resourceVersion) else { throw KubeError.decoding("a resourceVersion that is not an integer") }
                if version > oldest { return changes }
                changes.append(change)
            case .bookmark:
                if let version = event.resourceVersion.flatMap(UInt64.init), version >= oldest { return changes }
            case .error:
                throw KubeError.fromStatus(event.object)
            default:
                continue
            }
        }
        return changes
    }
}
