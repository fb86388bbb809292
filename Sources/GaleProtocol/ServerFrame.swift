public import GaleJSON

/// A text frame the gateway sends to a client (protocol `kubegale.v1`).
public enum ServerFrame: Hashable, Sendable {
    /// First frame on every socket: the session and the limits in force.
    case hello(Hello)
    /// Answer to a client `ping`.
    case pong(id: FrameID?)
    /// Answer to a `request`, with the seed envelope's `code`, `msg` and `data`.
    case response(id: FrameID, code: ErrorCode, msg: String, data: JSONValue)
    /// A failure not tied to a successful response: a malformed frame, a refused subscribe,
    /// a channel that broke.
    case error(id: FrameID?, channel: UInt32?, code: ErrorCode, msg: String)
    /// A `subscribe` succeeded; events follow on `channel`.
    case subscribed(id: FrameID, channel: UInt32)
    /// A channel was closed, by `unsubscribe` or by the gateway.
    case unsubscribed(channel: UInt32, reason: String?)
    /// One item on a channel; see ``Event``.
    case event(Event)
    /// Consecutive items of one channel in one frame (`events`), for a subscription that asked
    /// for batches: on the wire `channel`, the `seq` of the last item, and `items`, each an
    /// event's members without `channel` and `seq`. Decoded, each item has its own `seq`.
    case events([Event])
    /// The snapshot of a watch channel is complete; live events follow.
    case synced(channel: UInt32, seq: UInt64, resourceVersion: String?)
    /// A cluster's upstream connection changed state: `connected`, `reconnecting`, `unreachable`.
    case status(cluster: String, state: String, reason: String?)
    /// A channel's gap could not be replayed; a fresh snapshot follows.
    case resync(channel: UInt32, reason: String?)
    /// An `exec` succeeded; stream bytes flow in binary frames on `channel`.
    case opened(id: FrameID, channel: UInt32)
    /// The process behind an exec channel ended.
    case exited(channel: UInt32, code: Int)
    /// How far a file transfer has come; see ``Progress``.
    case progress(Progress)

    /// The wire name of this frame's type.
    public var type: String {
        switch self {
        case .hello: "hello"
        case .pong: "pong"
        case .response: "response"
        case .error: "error"
        case .subscribed: "subscribed"
        case .unsubscribed: "unsubscribed"
        case .event: "event"
        case .events: "events"
        case .synced: "synced"
        case .status: "status"
        case .resync: "resync"
        case .opened: "opened"
        case .exited: "exited"
        case .progress: "progress"
        }
    }

    /// The frame as JSON.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["type": .string(type)]
        switch self {
        case .hello(let hello): hello.encode(into: &members)
        case .pong(let id): members["id"] = id?.json
        case .response(let id, let code, let msg, let data):
            members["id"] = id.json
            members["code"] = .int(Int64(code.rawValue))
            members["msg"] = .string(msg)
            members["data"] = data
        case .error(let id, let channel, let code, let msg):
            members["id"] = id?.json
            members["channel"] = channel.map { .int(Int64($0)) }
            members["code"] = .int(Int64(code.rawValue))
            members["msg"] = .string(msg)
        case .subscribed(let id, let channel), .opened(let id, let channel):
            members["id"] = id.json
            members["channel"] = .int(Int64(channel))
        case .unsubscribed(let channel, let reason), .resync(let channel, let reason):
            members["channel"] = .int(Int64(channel))
            members["reason"] = reason.map { .string($0) }
        case .event(let event): event.encode(into: &members)
        case .events(let events):
            members["channel"] = events.last.map { .int(Int64($0.channel)) }
            members["seq"] = events.last.map { .int(Int64($0.seq)) }
            members["items"] = .array(
                events.map { event in
                    var item = event.fields
                    item["event"] = .string(event.event)
                    return .object(item)
                })
        case .synced(let channel, let seq, let resourceVersion):
            members["channel"] = .int(Int64(channel))
            members["seq"] = .int(Int64(seq))
            members["resourceVersion"] = resourceVersion.map { .string($0) }
        case .status(let cluster, let state, let reason):
            members["cluster"] = .string(cluster)
            members["state"] = .string(state)
            members["reason"] = reason.map { .string($0) }
        case .exited(let channel, let code):
            members["channel"] = .int(Int64(channel))
            members["code"] = .int(Int64(code))
        case .progress(let progress): progress.encode(into: &members)
        }
        return .object(members)
    }

    /// The UTF-8 text of the frame, ready to send.
    public var text: String { json.jsonString }

    /// Decodes a server frame (clients and tests use this; the gateway only encodes).
    public init(text: some Collection<UInt8>) throws(FrameError) {
        try self.init(json: try FieldReader.parseFrame(text))
    }

    /// Decodes a server frame from parsed JSON.
    public init(json: JSONValue) throws(FrameError) {
        let fields = try FieldReader(frame: json)
        let members = fields.members
        let id = fields.id
        let typeName = try fields.string("type")
        switch typeName {
        case "hello": self = .hello(try Hello(fields))
        case "pong": self = .pong(id: id)
        case "response":
            self = .response(
                id: try ClientFrame.requiredID(fields),
                code: ErrorCode(rawValue: Int(try fields.int("code"))),
                msg: try fields.string("msg"),
                data: members["data"] ?? .null
            )
        case "error":
            self = .error(
                id: id,
                channel: try fields.optionalChannel(),
                code: ErrorCode(rawValue: Int(try fields.int("code"))),
                msg: try fields.string("msg")
            )
        case "subscribed": self = .subscribed(id: try ClientFrame.requiredID(fields), channel: try fields.channel())
        case "opened": self = .opened(id: try ClientFrame.requiredID(fields), channel: try fields.channel())
        case "unsubscribed": self = .unsubscribed(channel: try fields.channel(), reason: try fields.optionalString("reason"))
        case "resync": self = .resync(channel: try fields.channel(), reason: try fields.optionalString("reason"))
        case "event": self = .event(try Event(fields))
        case "events":
            let channel = try fields.channel()
            let last = try fields.sequence()
            guard case .array(let items)? = members["items"], !items.isEmpty else {
                throw fields.fail("\"items\" must be a non-empty array of events")
            }
            guard UInt64(items.count) <= last else { throw fields.fail("\"seq\" is lower than the number of items") }
            var events: [Event] = []
            events.reserveCapacity(items.count)
            for (offset, item) in items.enumerated() {
                guard case .object(var itemFields) = item else { throw fields.fail("each item must be an object") }
                guard case .string(let name)? = itemFields.removeValue(forKey: "event") else {
                    throw fields.fail("each item must carry \"event\"")
                }
                for key in ["type", "channel", "seq"] { itemFields[key] = nil }
                events.append(
                    Event(channel: channel, seq: last - UInt64(items.count - 1 - offset), event: name, fields: itemFields))
            }
            self = .events(events)
        case "synced":
            self = .synced(
                channel: try fields.channel(),
                seq: try fields.sequence(),
                resourceVersion: try fields.optionalString("resourceVersion")
            )
        case "status":
            self = .status(
                cluster: try ClientFrame.clusterID(fields),
                state: try fields.string("state"),
                reason: try fields.optionalString("reason")
            )
        case "exited": self = .exited(channel: try fields.channel(), code: Int(try fields.int("code")))
        case "progress": self = .progress(try Progress(fields))
        default: throw fields.fail("unknown frame type \"\(typeName)\"")
        }
    }
}
