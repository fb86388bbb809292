public import GaleJSON

extension ServerFrame {
    /// `hello`: sent first on every socket.
    public struct Hello: Hashable, Sendable {
        /// Always ``ProtocolVersion/current``.
        public var `protocol`: String
        /// Session id; present it in a later client `hello` to resume.
        public var session: String
        /// The authenticated subject (JWT `sub`).
        public var subject: String
        /// The subject's role: `viewer`, `operator` or `admin`.
        public var role: String
        /// Seconds between server WebSocket pings; a socket silent for two periods is closed.
        public var heartbeatSeconds: Int
        /// Largest message, after decompression, the gateway accepts.
        public var maxMessageBytes: Int
        /// Whether permessage-deflate was negotiated on this socket.
        public var compression: Bool

        public init(
            protocol: String = ProtocolVersion.current, session: String, subject: String, role: String,
            heartbeatSeconds: Int, maxMessageBytes: Int, compression: Bool
        ) {
            self.protocol = `protocol`
            self.session = session
            self.subject = subject
            self.role = role
            self.heartbeatSeconds = heartbeatSeconds
            self.maxMessageBytes = maxMessageBytes
            self.compression = compression
        }

        init(_ fields: FieldReader) throws(FrameError) {
            self.protocol = try fields.string("protocol")
            session = try fields.string("session")
            subject = try fields.string("subject")
            role = try fields.string("role")
            heartbeatSeconds = Int(try fields.int("heartbeatSeconds"))
            maxMessageBytes = Int(try fields.int("maxMessageBytes"))
            compression = try fields.optionalBool("compression") ?? false
        }

        func encode(into members: inout [String: JSONValue]) {
            members["protocol"] = .string(self.protocol)
            members["session"] = .string(session)
            members["subject"] = .string(subject)
            members["role"] = .string(role)
            members["heartbeatSeconds"] = .int(Int64(heartbeatSeconds))
            members["maxMessageBytes"] = .int(Int64(maxMessageBytes))
            members["compression"] = .bool(compression)
        }
    }

    /// `event`: one item on a channel. `seq` increases by one per item on the channel, so a
    /// client can tell a gap. `event` says what the item is — `ADDED`, `MODIFIED`, `DELETED`
    /// for watches and events, `LOG` for log lines, `SAMPLE` for metrics — and `fields` carries
    /// its members (`object`, `resourceVersion`, `line`, ...).
    public struct Event: Hashable, Sendable {
        public var channel: UInt32
        public var seq: UInt64
        public var event: String
        public var fields: [String: JSONValue]

        public init(channel: UInt32, seq: UInt64, event: String, fields: [String: JSONValue]) {
            self.channel = channel
            self.seq = seq
            self.event = event
            self.fields = fields
        }

        init(_ fields: FieldReader) throws(FrameError) {
            channel = try fields.channel()
            seq = try fields.sequence()
            event = try fields.string("event")
            var rest = fields.members
            for key in ["type", "channel", "seq", "event"] { rest[key] = nil }
            self.fields = rest
        }

        func encode(into members: inout [String: JSONValue]) {
            members.merge(fields) { current, _ in current }
            members["channel"] = .int(Int64(channel))
            members["seq"] = .int(Int64(seq))
            members["event"] = .string(event)
        }
    }
}

/// The protocol version, also the WebSocket subprotocol the gateway speaks.
public enum ProtocolVersion {
    public static let current = "kubegale.v1"
}

extension ServerFrame {
    /// `progress`: bytes of a file transfer done so far. A download's first one also says what is
    /// coming (`format`, `filename`, and `total` for a regular file); the last one of a transfer
    /// has `bytes == total` for uploads and `done: true` for both.
    public struct Progress: Hashable, Sendable {
        public var channel: UInt32
        public var bytes: Int64
        /// Bytes in all, when known.
        public var total: Int64?
        /// `file` (the bytes of a regular file) or `archive` (a tar of a directory); downloads only.
        public var format: String?
        /// Name to save a download under.
        public var filename: String?
        /// The transfer is complete.
        public var done: Bool

        public init(
            channel: UInt32, bytes: Int64, total: Int64? = nil, format: String? = nil, filename: String? = nil,
            done: Bool = false
        ) {
            self.channel = channel
            self.bytes = bytes
            self.total = total
            self.format = format
            self.filename = filename
            self.done = done
        }

        init(_ fields: FieldReader) throws(FrameError) {
            channel = try fields.channel()
            bytes = try fields.int("bytes")
            total = try fields.optionalInt("total")
            format = try fields.optionalString("format")
            filename = try fields.optionalString("filename")
            done = try fields.optionalBool("done") ?? false
        }

        func encode(into members: inout [String: JSONValue]) {
            members["channel"] = .int(Int64(channel))
            members["bytes"] = .int(bytes)
            members["total"] = total.map { .int($0) }
            members["format"] = format.map { .string($0) }
            members["filename"] = filename.map { .string($0) }
            if done { members["done"] = .bool(true) }
        }
    }
}
