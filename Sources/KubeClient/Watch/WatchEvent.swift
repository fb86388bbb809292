/// One event of a watch stream: what happened and the object it happened to.
public struct WatchEvent: Sendable, Hashable {
    /// The event type as the server names it.
    public struct EventType: Sendable, Hashable, CustomStringConvertible {
        /// `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR`.
        public let rawValue: String
        /// Wraps a type name; unknown names are kept as they are.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The object was created (or existed when a watch without resourceVersion started).
        public static var added: Self { .init(rawValue: "ADDED") }
        /// The object changed.
        public static var modified: Self { .init(rawValue: "MODIFIED") }
        /// The object was deleted; the object is its last state.
        public static var deleted: Self { .init(rawValue: "DELETED") }
        /// Only `metadata.resourceVersion` is meaningful: the watch is current up to it.
        public static var bookmark: Self { .init(rawValue: "BOOKMARK") }
        /// The object is a `Status` describing a failure (410 Gone is thrown as ``KubeError/Kind/gone`` instead).
        public static var error: Self { .init(rawValue: "ERROR") }
        public var description: String { rawValue }
    }

    /// What happened.
    public var type: EventType
    /// The object (or `Status` for ``EventType/error``).
    public var object: KubeJSON

    /// Creates an event.
    public init(type: EventType, object: KubeJSON) {
        self.type = type
        self.object = object
    }

    /// The object's `metadata.resourceVersion`.
    public var resourceVersion: String? { object["metadata"]?["resourceVersion"]?.stringValue }
}
