import GaleJSON

/// One change recorded in the store's history and delivered to watchers.
public struct StoreEvent: Sendable {
    /// `ADDED`, `MODIFIED` or `DELETED`.
    public enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
    }

    public let kind: Kind
    public let resource: ResourceType
    /// The object after the change (for DELETED: the last state, carrying the deletion's resourceVersion).
    public let object: JSONValue
    /// The object before the change (MODIFIED only), used to turn selector transitions into ADDED/DELETED.
    public let previous: JSONValue?
    /// The resourceVersion the change produced.
    public let resourceVersion: Int
}

/// What a watch stream delivers, already filtered for the watcher.
public enum WatchMessage: Sendable {
    /// `{"type": TYPE, "object": OBJECT}`.
    case event(type: String, object: JSONValue)
    /// A BOOKMARK carrying the latest resourceVersion.
    case bookmark(kind: String, apiVersion: String, resourceVersion: Int)
    /// An ERROR event with a Status object; the stream ends after it.
    case error(KubeStatusError)

    /// The JSON line for the wire.
    public var json: JSONValue {
        switch self {
        case .event(let type, let object):
            return ["type": .string(type), "object": object]
        case .bookmark(let kind, let apiVersion, let resourceVersion):
            return [
                "type": "BOOKMARK",
                "object": [
                    "kind": .string(kind), "apiVersion": .string(apiVersion),
                    "metadata": ["resourceVersion": .string(String(resourceVersion))],
                ],
            ]
        case .error(let error):
            return ["type": "ERROR", "object": error.status]
        }
    }
}

/// Which objects a watch or list is about.
public struct ObjectFilter: Sendable {
    public var namespace: String?
    public var labelSelector: LabelSelector
    public var fieldSelector: FieldSelector

    public init(namespace: String? = nil, labelSelector: LabelSelector = .everything, fieldSelector: FieldSelector = .everything) {
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
    }

    /// Whether the filter takes every object of its namespace (or of all namespaces): no label or field selector.
    var selectsAllInNamespace: Bool { labelSelector.requirements.isEmpty && fieldSelector.terms.isEmpty }

    /// Whether an object is inside the filter.
    public func matches(_ object: JSONValue) -> Bool {
        if let namespace, !namespace.isEmpty, object[path: ["metadata", "namespace"]]?.stringValue != namespace {
            return false
        }
        return labelSelector.matches(object: object) && fieldSelector.matches(object: object)
    }
}
