@testable import GaleGateway
import NIOCore

/// libFuzzer entry point: the streaming tar reader of file downloads, on arbitrary bytes.
///
/// The reader must give the same result whether the archive arrives in one piece or in pieces
/// of any size: the same members with the same data, the same end, or an error in both cases.
/// Member data can never exceed the input, and extension headers stay within their bound.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTar(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    let whole = TarRun(input, pieceSizes: nil)
    let pieces = TarRun(input, pieceSizes: PieceSizes(seed: input))
    precondition(whole.failed == pieces.failed, "the reader failed on one split of the input only")
    guard !whole.failed else { return 0 }
    precondition(whole.events == pieces.events, "the reader's events depend on how the input is split")
    precondition(whole.ended == pieces.ended, "the end of the archive depends on how the input is split")
    let dataBytes = whole.events.reduce(0) { total, event in
        if case .data(let bytes) = event { return total + bytes.readableBytes }
        return total
    }
    precondition(dataBytes <= size, "the reader produced more data than it was given")
    return 0
}

/// One pass of a ``TarReader`` over an input, with adjacent data events merged so that runs
/// over different splits compare equal.
private struct TarRun {
    var events: [TarReader.Event] = []
    var failed = false
    var ended = false

    init(_ input: ByteBuffer, pieceSizes: PieceSizes?) {
        var reader = TarReader()
        var rest = input
        var sizes = pieceSizes
        while rest.readableBytes > 0 {
            let length = min(sizes?.next() ?? rest.readableBytes, rest.readableBytes)
            let piece = rest.readSlice(length: length)!
            do {
                for event in try reader.feed(piece) { append(event) }
            } catch {
                failed = true
                return
            }
        }
        ended = reader.isEnded
    }

    private mutating func append(_ event: TarReader.Event) {
        if case .data(var more) = event, case .data(var previous)? = events.last {
            previous.writeBuffer(&more)
            events[events.count - 1] = .data(previous)
        } else {
            events.append(event)
        }
    }
}

/// Piece sizes from 1 to 1,100 bytes, a deterministic function of the input (so a crash replays).
private struct PieceSizes {
    private var state: UInt64

    init(seed: ByteBuffer) {
        state = 0xcbf2_9ce4_8422_2325
        for byte in seed.readableBytesView.prefix(64) { state = (state ^ UInt64(byte)) &* 0x100_0000_01b3 }
        state |= 1
    }

    mutating func next() -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % 1_100) + 1
    }
}
