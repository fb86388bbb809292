public import GaleJSON

/// A text frame a client sends to the gateway (protocol `kubegale.v1`).
///
/// Every frame is a JSON object whose `type` names the case. Decoding reports the first
/// problem found as a ``FrameError`` carrying the frame's `id` when it had one.
public enum ClientFrame: Hashable, Sendable {
    /// Optional first frame: resume an earlier session (see `protocol/SPEC.md`, "Resume").
    case hello(Hello)
    /// Application-level heartbeat for browsers, which cannot send WebSocket pings.
    case ping(id: FrameID?)
    /// One API operation, dispatched exactly as the HTTP route with the same method and path.
    case request(Request)
    /// Open a live channel: a watch, a log stream, events or metrics.
    case subscribe(Subscribe)
    /// Close a channel opened by `subscribe` or `exec`.
    case unsubscribe(channel: UInt32)
    /// Open an interactive exec channel into a container.
    case exec(Exec)
    /// Tell an exec channel's terminal its new size.
    case resize(channel: UInt32, cols: Int, rows: Int)
    /// Write a file into a container; its bytes follow in binary stream frames.
    case upload(Upload)
    /// Read a file or directory out of a container.
    case download(Download)

    /// The wire name of this frame's type.
    public var type: String {
        switch self {
        case .hello: "hello"
        case .ping: "ping"
        case .request: "request"
        case .subscribe: "subscribe"
        case .unsubscribe: "unsubscribe"
        case .exec: "exec"
        case .resize: "resize"
        case .upload: "upload"
        case .download: "download"
        }
    }

    /// Decodes a frame from the bytes of a WebSocket text message.
    public init(text: some Collection<UInt8>) throws(FrameError) {
        try self.init(json: try FieldReader.parseFrame(text))
    }

    /// Decodes a frame from a parsed JSON value.
    public init(json: JSONValue) throws(FrameError) {
        let fields = try FieldReader(frame: json)
        let members = fields.members
        let id = fields.id
        guard let type = members["type"] else { throw fields.fail("missing field \"type\"") }
        guard let typeName = type.stringValue else { throw fields.fail("field \"type\" must be a string") }
        switch typeName {
        case "hello": self = .hello(try Hello(fields))
        case "ping":
            if let raw = members["id"], !raw.isNull, id == nil { throw fields.fail("field \"id\" must be a string or an integer") }
            self = .ping(id: id)
        case "request": self = .request(try Request(fields))
        case "subscribe": self = .subscribe(try Subscribe(fields))
        case "unsubscribe": self = .unsubscribe(channel: try fields.channel())
        case "exec": self = .exec(try Exec(fields))
        case "resize":
            let (cols, rows) = try Self.terminalSize(fields, required: true)
            self = .resize(channel: try fields.channel(), cols: cols!, rows: rows!)
        case "upload": self = .upload(try Upload(fields))
        case "download": self = .download(try Download(fields))
        default:
            throw fields.fail("unknown frame type \"\(typeName)\"")
        }
    }

    /// The frame as JSON, the inverse of ``init(json:)``.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["type": .string(type)]
        switch self {
        case .hello(let hello): hello.encode(into: &members)
        case .ping(let id): members["id"] = id?.json
        case .request(let request): request.encode(into: &members)
        case .subscribe(let subscribe): subscribe.encode(into: &members)
        case .unsubscribe(let channel): members["channel"] = .int(Int64(channel))
        case .exec(let exec): exec.encode(into: &members)
        case .resize(let channel, let cols, let rows):
            members["channel"] = .int(Int64(channel))
            members["cols"] = .int(Int64(cols))
            members["rows"] = .int(Int64(rows))
        case .upload(let upload): upload.encode(into: &members)
        case .download(let download): download.encode(into: &members)
        }
        return .object(members)
    }

    static func requiredID(_ fields: FieldReader) throws(FrameError) -> FrameID {
        guard let raw = fields.members["id"], !raw.isNull else { throw fields.fail("missing field \"id\"") }
        guard let id = fields.id else { throw fields.fail("field \"id\" must be a string or an integer") }
        _ = raw
        return id
    }

    static func terminalSize(_ fields: FieldReader, required: Bool) throws(FrameError) -> (Int?, Int?) {
        let cols = required ? try fields.int("cols") : try fields.optionalInt("cols")
        let rows = required ? try fields.int("rows") : try fields.optionalInt("rows")
        for (name, value) in [("cols", cols), ("rows", rows)] {
            if let value, !(1...10_000).contains(value) {
                throw fields.fail("field \"\(name)\" must be between 1 and 10000")
            }
        }
        return (cols.map { Int($0) }, rows.map { Int($0) })
    }
}
