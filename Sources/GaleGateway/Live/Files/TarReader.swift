import NIOCore

/// Reads a tar stream as it arrives, in pieces of any size, without holding more than one header
/// block: member data passes through as slices of the input.
///
/// GNU long names (`L`, `K`) and pax extended headers (`x`: `path`, `linkpath`, `size`) are
/// folded into the member that follows them; global pax headers are skipped.
struct TarReader {
    enum Event: Equatable {
        /// A member starts; its data (if any) follows as `data` events, then `memberEnd`.
        case member(TarHeader)
        case data(ByteBuffer)
        case memberEnd
        /// The end-of-archive block; anything after it is ignored.
        case end
    }

    /// Extension headers are held in memory while they are read: at most this many bytes.
    static let maxExtensionBytes = 1 << 20

    private struct Body {
        var remaining: Int
        var padding: Int
        /// The type flag and bytes so far of an extension header; `nil` for a member's data.
        var extensionFlag: UInt8?
        var collected: [UInt8] = []
    }

    private enum State {
        case header
        case body(Body)
        case ended
    }

    private var state = State.header
    private var partialBlock = ByteBuffer()
    private var pendingName: String?
    private var pendingLink: String?
    private var pendingSize: Int?

    /// Whether the end-of-archive block was read.
    var isEnded: Bool {
        if case .ended = state { return true }
        return false
    }

    /// The events of the next piece of the stream.
    mutating func feed(_ piece: ByteBuffer) throws(TarFormatError) -> [Event] {
        var input = piece
        var events: [Event] = []
        while input.readableBytes > 0 {
            switch state {
            case .ended:
                input.moveReaderIndex(to: input.writerIndex)
            case .header:
                var slice = input.readSlice(length: min(TarHeader.blockSize - partialBlock.readableBytes, input.readableBytes))!
                partialBlock.writeBuffer(&slice)
                guard partialBlock.readableBytes == TarHeader.blockSize else { continue }
                let decoded = try TarHeader.decode(partialBlock.readableBytesView)
                partialBlock.clear()
                try begin(decoded, events: &events)
            case .body(var body):
                if body.remaining > 0 {
                    let slice = input.readSlice(length: min(body.remaining, input.readableBytes))!
                    body.remaining -= slice.readableBytes
                    if body.extensionFlag == nil {
                        events.append(.data(slice))
                    } else {
                        body.collected += slice.readableBytesView
                    }
                } else {
                    let skipped = min(body.padding, input.readableBytes)
                    input.moveReaderIndex(forwardBy: skipped)
                    body.padding -= skipped
                }
                state = .body(body)
                if body.remaining == 0, body.padding == 0 { try endBody(body, events: &events) }
            }
        }
        return events
    }

    private mutating func begin(_ decoded: TarHeader?, events: inout [Event]) throws(TarFormatError) {
        guard var header = decoded else {
            state = .ended
            events.append(.end)
            return
        }
        if case .extension(let flag) = header.kind {
            guard header.size <= Self.maxExtensionBytes else {
                throw TarFormatError(message: "extended header of \(header.size) bytes is too large")
            }
            let body = Body(remaining: header.size, padding: TarHeader.padding(after: header.size), extensionFlag: flag)
            state = .body(body)
            if header.size == 0 { try endBody(body, events: &events) }
            return
        }
        if let name = pendingName { header.name = name }
        if let link = pendingLink { header.linkTarget = link }
        if let size = pendingSize { header.size = size }
        (pendingName, pendingLink, pendingSize) = (nil, nil, nil)
        switch header.kind {
        case .directory, .symlink, .hardlink: header.size = 0
        default: break
        }
        events.append(.member(header))
        let body = Body(remaining: header.size, padding: TarHeader.padding(after: header.size))
        state = .body(body)
        if header.size == 0 { try endBody(body, events: &events) }
    }

    private mutating func endBody(_ body: Body, events: inout [Event]) throws(TarFormatError) {
        state = .header
        guard let flag = body.extensionFlag else {
            events.append(.memberEnd)
            return
        }
        let text = { (bytes: [UInt8]) in String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
        switch flag {
        case UInt8(ascii: "L"): pendingName = text(body.collected)
        case UInt8(ascii: "K"): pendingLink = text(body.collected)
        case UInt8(ascii: "x"):
            let records = try TarHeader.paxRecords(body.collected)
            if let path = records["path"] { pendingName = path }
            if let link = records["linkpath"] { pendingLink = link }
            if let size = records["size"] {
                guard let value = Int(size), value >= 0 else {
                    throw TarFormatError(message: "pax size \"\(size)\" is not a number")
                }
                pendingSize = value
            }
        default:
            break  // a global header: nothing a single member needs
        }
    }
}
