import GaleJSON
import GaleProtocol
import KubeClient

/// The pure parts of a shared watch: relist differences and object completion.
extension SharedWatch {
    /// The changes that turn `old` into `new` (objects compared by resourceVersion).
    static func difference(from old: [String: JSONValue], to new: [String: JSONValue]) -> [WatchChange] {
        var changes: [WatchChange] = []
        for key in new.keys.sorted() {
            let object = new[key]!
            if let previous = old[key] {
                let sameIncarnation = previous["metadata"]?["uid"] == object["metadata"]?["uid"]
                if !sameIncarnation || previous["metadata"]?["resourceVersion"] != object["metadata"]?["resourceVersion"] {
                    if !sameIncarnation { changes.append(WatchChange(.deleted, previous)) }
                    changes.append(WatchChange(sameIncarnation ? .modified : .added, object))
                }
            } else {
                changes.append(WatchChange(.added, object))
            }
        }
        for key in old.keys.sorted() where new[key] == nil {
            changes.append(WatchChange(.deleted, old[key]!))
        }
        return changes
    }

    /// Whether resourceVersion `version` comes before `other`. resourceVersions are opaque to
    /// clients, but every apiserver backed by etcd issues increasing integers; anything else is
    /// never called older.
    static func isOlder(_ version: String, than other: String) -> Bool {
        guard let version = UInt64(version), let other = UInt64(other) else { return false }
        return version < other
    }

    /// List items carry no `kind`/`apiVersion`; subscribers get complete objects. A watch whose
    /// key asks for it keeps no Secret values (``SecretRedaction``).
    static func fillTypeMeta(_ object: inout JSONValue, _ resource: KubeResource, _ key: WatchKey) {
        if object["kind"] == nil { object["kind"] = .string(resource.kind) }
        if object["apiVersion"] == nil { object["apiVersion"] = .string(resource.apiVersion) }
        if key.redactsSecretData { SecretRedaction.redact(&object) }
    }

    /// An upstream failure as `status` frames and logs give it.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as UpstreamUnresponsive: error.description
        case let error as UpstreamReset: error.description
        default: APIError.reason(of: error)
        }
    }
}
