/// The SPDY/3.1 frames that Kubernetes streaming (port-forward, and exec before WebSockets) is carried in:
/// a control bit, then either a version and type (control frames) or a stream id (data frames), 8 bits of
/// flags and a 24-bit length. Header blocks stay compressed here; ``SPDYHeaderCodec`` reads and writes them.
enum SPDYFrame: Equatable, Sendable {
    case data(streamID: UInt32, fin: Bool, payload: [UInt8])
    case synStream(streamID: UInt32, fin: Bool, headerBlock: [UInt8])
    case synReply(streamID: UInt32, fin: Bool, headerBlock: [UInt8])
    case rstStream(streamID: UInt32, status: UInt32)
    case ping(id: UInt32)
    case goAway(lastGoodStreamID: UInt32, status: UInt32)
    /// SETTINGS, HEADERS, WINDOW_UPDATE and types this simulator has no use for: read past and ignored.
    case ignored(type: UInt16)

    static let version: UInt16 = 3
    static let flagFin: UInt8 = 0x01

    /// RST_STREAM status codes (SPDY/3 section 2.6.3).
    enum ResetStatus {
        static let protocolError: UInt32 = 1
        static let refusedStream: UInt32 = 3
        static let cancel: UInt32 = 5
    }

    enum ControlType {
        static let synStream: UInt16 = 1
        static let synReply: UInt16 = 2
        static let rstStream: UInt16 = 3
        static let ping: UInt16 = 6
        static let goAway: UInt16 = 7
    }

    /// The frame on the wire.
    var encoded: [UInt8] {
        switch self {
        case .data(let streamID, let fin, let payload):
            return Self.word(streamID & 0x7FFF_FFFF) + Self.flagsAndLength(fin ? Self.flagFin : 0, payload.count) + payload
        case .synStream(let streamID, let fin, let block):
            // Associated stream 0, priority 0, slot 0.
            return Self.control(ControlType.synStream, flags: fin ? Self.flagFin : 0, Self.word(streamID) + Self.word(0) + [0, 0] + block)
        case .synReply(let streamID, let fin, let block):
            return Self.control(ControlType.synReply, flags: fin ? Self.flagFin : 0, Self.word(streamID) + block)
        case .rstStream(let streamID, let status):
            return Self.control(ControlType.rstStream, flags: 0, Self.word(streamID) + Self.word(status))
        case .ping(let id):
            return Self.control(ControlType.ping, flags: 0, Self.word(id))
        case .goAway(let last, let status):
            return Self.control(ControlType.goAway, flags: 0, Self.word(last) + Self.word(status))
        case .ignored(let type):
            return Self.control(type, flags: 0, [])
        }
    }

    static func word(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func flagsAndLength(_ flags: UInt8, _ length: Int) -> [UInt8] {
        [flags, UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
    }

    static func control(_ type: UInt16, flags: UInt8, _ body: [UInt8]) -> [UInt8] {
        [0x80 | UInt8(version >> 8), UInt8(version & 0xFF), UInt8(type >> 8), UInt8(type & 0xFF)]
            + flagsAndLength(flags, body.count) + body
    }
}

/// Splits a byte stream (the WebSocket messages of a tunneled connection, concatenated) into SPDY frames.
struct SPDYFrameDecoder: Sendable {
    /// A frame that cannot be read: the connection ends with this as its reason.
    struct Failure: Error, CustomStringConvertible, Equatable {
        let description: String
    }

    /// Largest frame accepted; SPDY allows 16 MiB, kubectl's frames are at most 32 KiB of data.
    var maxFrameLength = 1 << 20
    private var buffer: [UInt8] = []
    private var start = 0

    init(maxFrameLength: Int = 1 << 20) { self.maxFrameLength = maxFrameLength }

    mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame, `nil` when more bytes are needed.
    mutating func next() throws(Failure) -> SPDYFrame? {
        guard buffer.count - start >= 8 else { return nil }
        let header = Array(buffer[start..<(start + 8)])
        let length = Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
        guard length <= maxFrameLength else {
            throw Failure(description: "SPDY frame of \(length) bytes exceeds the limit of \(maxFrameLength)")
        }
        guard buffer.count - start >= 8 + length else { return nil }
        let body = Array(buffer[(start + 8)..<(start + 8 + length)])
        start += 8 + length
        if start > 1 << 16 {
            buffer.removeFirst(start)
            start = 0
        }
        let flags = header[4]
        let fin = flags & SPDYFrame.flagFin != 0
        guard header[0] & 0x80 != 0 else {
            let streamID = Self.word(header, 0) & 0x7FFF_FFFF
            guard streamID != 0 else { throw Failure(description: "SPDY data frame on stream 0") }
            return .data(streamID: streamID, fin: fin, payload: body)
        }
        let version = UInt16(header[0] & 0x7F) << 8 | UInt16(header[1])
        guard version == SPDYFrame.version else { throw Failure(description: "unsupported SPDY version \(version)") }
        let type = UInt16(header[2]) << 8 | UInt16(header[3])
        switch type {
        case SPDYFrame.ControlType.synStream:
            guard body.count >= 10 else { throw Failure(description: "SYN_STREAM of \(body.count) bytes is too short") }
            let streamID = Self.word(body, 0) & 0x7FFF_FFFF
            guard streamID != 0 else { throw Failure(description: "SYN_STREAM for stream 0") }
            return .synStream(streamID: streamID, fin: fin, headerBlock: Array(body[10...]))
        case SPDYFrame.ControlType.synReply:
            guard body.count >= 4 else { throw Failure(description: "SYN_REPLY of \(body.count) bytes is too short") }
            return .synReply(streamID: Self.word(body, 0) & 0x7FFF_FFFF, fin: fin, headerBlock: Array(body[4...]))
        case SPDYFrame.ControlType.rstStream:
            guard body.count == 8 else { throw Failure(description: "RST_STREAM of \(body.count) bytes, expected 8") }
            return .rstStream(streamID: Self.word(body, 0) & 0x7FFF_FFFF, status: Self.word(body, 4))
        case SPDYFrame.ControlType.ping:
            guard body.count == 4 else { throw Failure(description: "PING of \(body.count) bytes, expected 4") }
            return .ping(id: Self.word(body, 0))
        case SPDYFrame.ControlType.goAway:
            guard body.count >= 4 else { throw Failure(description: "GOAWAY of \(body.count) bytes is too short") }
            return .goAway(lastGoodStreamID: Self.word(body, 0) & 0x7FFF_FFFF, status: body.count >= 8 ? Self.word(body, 4) : 0)
        default:
            return .ignored(type: type)
        }
    }

    private static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
