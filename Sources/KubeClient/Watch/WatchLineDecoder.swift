/// Splits a chunked watch response into newline-delimited JSON events, whatever the chunk
/// boundaries, holding at most `maxLineBytes` of an unfinished line.
struct WatchLineDecoder {
    let maxLineBytes: Int
    private var pending: [UInt8] = []

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Feeds received bytes; returns every event completed by them.
    /// Throws ``KubeError`` for a line over the limit, a line that is not a watch event, or 410 Gone.
    mutating func feed(_ bytes: some Collection<UInt8>) throws -> [WatchEvent] {
        var events: [WatchEvent] = []
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let piece = bytes[start..<newline]
            if pending.isEmpty {
                if let event = try Self.decode(piece) { events.append(event) }
            } else {
                try append(piece)
                let line = pending
                pending.removeAll(keepingCapacity: true)
                if let event = try Self.decode(line) { events.append(event) }
            }
            start = bytes.index(after: newline)
        }
        try append(bytes[start...])
        return events
    }

    /// Called when the stream ends: a final line without a newline still counts.
    mutating func finish() throws -> WatchEvent? {
        guard !pending.isEmpty else { return nil }
        let line = pending
        pending = []
        return try Self.decode(line)
    }

    private mutating func append(_ piece: some Collection<UInt8>) throws {
        guard !piece.isEmpty else { return }
        guard pending.count + piece.count <= maxLineBytes else {
            pending = []
            throw KubeError.decoding("a watch event is longer than \(maxLineBytes) bytes")
        }
        pending.append(contentsOf: piece)
    }

    static func decode(_ line: some Collection<UInt8>) throws -> WatchEvent? {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { return nil }
        guard let json = try? KubeJSON(parsing: line), let type = json["type"]?.stringValue, let object = json["object"]
        else {
            throw KubeError.decoding("a watch line is not a {type, object} JSON event")
        }
        let event = WatchEvent(type: .init(rawValue: type), object: object)
        if event.type == .error, object["kind"]?.stringValue == "Status" {
            let error = KubeError.fromStatus(object)
            if error.isGone || error.code == 410 { throw KubeError.gone(error.message) }
        }
        return event
    }
}
