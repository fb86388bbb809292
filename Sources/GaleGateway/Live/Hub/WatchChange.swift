import GaleJSON

/// One change of a watched collection, as subscribers receive it.
struct WatchChange: Sendable {
    /// `ADDED`, `MODIFIED` or `DELETED`.
    enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
    }

    var kind: Kind
    /// The object after the change (for `DELETED`, its last state).
    var object: JSONValue
    /// `namespace/name`, the identity changes are conflated by.
    var key: String
    /// The object's `metadata.resourceVersion`.
    var resourceVersion: String
    /// The members of the `event` frame after `channel` and before `seq` — the object encoded
    /// once, however many subscribers the change goes to.
    let encoded: EncodedMembers

    init(_ kind: Kind, _ object: JSONValue) {
        self.kind = kind
        self.object = object
        self.key = Self.key(of: object)
        let resourceVersion = object["metadata"]?["resourceVersion"]?.stringValue ?? ""
        self.resourceVersion = resourceVersion
        self.encoded = EncodedMembers(
            #""event":"\#(kind.rawValue)","object":\#(object.jsonString),"resourceVersion":\#(JSONValue.string(resourceVersion).jsonString)"#)
    }

    /// `namespace/name` of an object (`/name` when cluster-scoped).
    static func key(of object: JSONValue) -> String {
        let metadata = object["metadata"]
        return (metadata?["namespace"]?.stringValue ?? "") + "/" + (metadata?["name"]?.stringValue ?? "")
    }
}

/// What a subscription receives, in order.
enum WatchItem: Sendable {
    /// Where the subscriber starts: a snapshot, or the changes it missed since a resourceVersion.
    case start(WatchStart)
    /// One change.
    case change(WatchChange)
    /// The upstream connection changed state.
    case status(UpstreamState, reason: String?)
    /// The upstream failed for good (the resource or namespace went away, access was revoked).
    case failed(APIError)
}

/// The state of a shared upstream, as `status` frames report it.
enum UpstreamState: String, Sendable {
    case connected, reconnecting, unreachable
}

/// The beginning of a subscription (or of a resync).
struct WatchStart: Sendable {
    /// Every object as the members of its `ADDED` event (encoded once for all subscribers),
    /// sorted by namespace and name — or `nil` when the subscriber resumed from a resourceVersion
    /// that is still remembered and gets ``replay`` instead.
    var objects: [EncodedMembers]?
    /// The changes after the subscriber's resourceVersion, when it resumed.
    var replay: [WatchChange] = []
    /// Whether this replaces a view the subscriber had (a `resync` frame comes first).
    var resync = false
    /// The resourceVersion the start is current at.
    var resourceVersion: String?
}
