import Foundation
import CompressNIO
import NIOCore
import Synchronization

/// The part of an `event` frame that is the same for every subscriber (`"event":…,"object":…,
/// "resourceVersion":…`), encoded once — and, for sockets that take shared compressed frames,
/// compressed once.
///
/// Compressing per socket is what makes permessage-deflate expensive in a fan-out: tens of
/// microseconds of zlib for every delivery. The gateway negotiates `server_no_context_takeover`,
/// so no message it sends may refer to an earlier one; a message may then be stitched together
/// from DEFLATE pieces. The shared members are compressed once, on their own, with a fresh
/// window; each subscriber's frame is its own short prefix and suffix as stored (uncompressed)
/// blocks around those shared bytes (see ``payload(prefix:suffix:allocator:)``).
final class EncodedMembers: Sendable {
    /// The members, as JSON text without the surrounding braces.
    let text: String
    private let deflated = Mutex<ByteBuffer??>(nil)

    init(_ text: String) {
        self.text = text
    }

    /// The `event` frame of `channel` carrying these members as item `seq`: its text and the
    /// subscriber's own parts around the shared members.
    func eventFrame(channel: UInt32, seq: UInt64) -> (text: String, prefix: String, suffix: String) {
        let (prefix, suffix) = Self.eventFrameParts(channel: channel, seq: seq)
        return (prefix + text + suffix, prefix, suffix)
    }

    /// The subscriber's own parts of an `event` frame, before and after the shared members.
    static func eventFrameParts(channel: UInt32, seq: UInt64) -> (prefix: String, suffix: String) {
        (#"{"channel":\#(channel),"#, #","seq":\#(seq),"type":"event"}"#)
    }

    /// The length in bytes of ``eventFrame(channel:seq:)``'s text, without building it.
    static func eventFrameSize(channel: UInt32, seq: UInt64, members: EncodedMembers) -> Int {
        // `{"channel":` N `,` members `,"seq":` S `,"type":"event"}`
        11 + decimalDigits(UInt64(channel)) + 1 + members.text.utf8.count + 7 + decimalDigits(seq) + 16
    }

    private static func decimalDigits(_ value: UInt64) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return digits
    }

    /// A permessage-deflate payload of `prefix + text + suffix`, with room for a frame header in
    /// front; `nil` when the members could not be compressed (the frame then goes out as text).
    func payload(prefix: String, suffix: String, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer? {
        guard let middle = compressed else { return nil }
        var payload = allocator.framePayload(capacity: middle.readableBytes + prefix.utf8.count + suffix.utf8.count + 11)
        Self.writeStoredBlock(prefix, to: &payload)
        payload.writeImmutableBuffer(middle)
        Self.writeStoredBlock(suffix, to: &payload)
        // The header of an empty stored block: the receiver appends its `00 00 FF FF`
        // (RFC 7692 §7.2.2), completing it.
        payload.writeInteger(UInt8(0))
        return payload
    }

    /// The members as raw DEFLATE ending in a sync flush (so byte-aligned, with its trailing
    /// `00 00 FF FF`), made on first use.
    private var compressed: ByteBuffer? {
        deflated.withLock { deflated in
            if let done = deflated { return done }
            var input = ByteBuffer(string: text)
            let result = try? input.compressStream(
                with: try SharedDeflate.compressor(), flush: .sync, allocator: ByteBufferAllocator())
            deflated = .some(result)
            return result
        }
    }

    /// A non-final stored block holding `text` (split when longer than a block may be).
    private static func writeStoredBlock(_ text: String, to buffer: inout ByteBuffer) {
        var bytes = text.utf8[...]
        repeat {
            let chunk = bytes.prefix(0xFFFF)
            bytes = bytes.dropFirst(chunk.count)
            let length = UInt16(chunk.count)
            buffer.writeInteger(UInt8(0))  // BFINAL 0, BTYPE 00, then padding to the byte
            buffer.writeInteger(length, endianness: .little)
            buffer.writeInteger(~length, endianness: .little)
            buffer.writeBytes(chunk)
        } while !bytes.isEmpty
    }
}

/// The settings shared compressed frames depend on.
enum SharedDeflate {
    /// Window the shared bytes are compressed with: what the gateway's permessage-deflate
    /// response allows the server. A socket whose client asked for less gets its events
    /// compressed on their own (``SocketWriter``).
    static let windowBits = MeteredDeflateBuilder.windowBits

    /// A fresh compressor for one event's members.
    static func compressor() throws -> ZlibCompressor {
        try ZlibCompressor(
            algorithm: .deflate,
            configuration: .init(windowSize: Int32(windowBits), compressionLevel: 6, memoryLevel: 8))
    }
}
