import GaleProtocol
import NIOCore

/// libFuzzer entry point: binary stream frames (`[channel u32][stream u8][payload]`).
///
/// Decoding succeeds exactly for messages of at least a header that name a channel other than 0,
/// and encoding a decoded frame gives the message back byte for byte.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStreamFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let buffer = ByteBuffer(bytes: input)
    let namesChannel = size >= StreamFrame.headerSize && input.prefix(4).contains { $0 != 0 }
    guard let frame = try? StreamFrame(buffer: buffer) else {
        precondition(!namesChannel, "a well-formed binary frame was refused")
        return 0
    }
    precondition(namesChannel, "a malformed binary frame was accepted")
    precondition(frame.payload.readableBytes == size - StreamFrame.headerSize, "the payload length is wrong")
    precondition(frame.encoded() == buffer, "encoding a decoded frame changed its bytes")
    return 0
}
