import GaleJSON
import GaleProtocol

/// libFuzzer entry point: client text frames as the gateway receives them from a WebSocket.
///
/// A frame that decodes must come back unchanged from its own JSON, both as a value and as the
/// serialized text a client would send.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard let frame = try? ClientFrame(text: input) else { return 0 }
    _ = frame.type
    let json = frame.json
    do {
        let fromValue = try ClientFrame(json: json)
        precondition(fromValue == frame, "a decoded frame differs after decoding its own JSON")
        var text: [UInt8] = []
        json.write(to: &text)
        let fromText = try ClientFrame(text: text)
        precondition(fromText == frame, "a decoded frame differs after decoding its own JSON text")
    } catch {
        fatalError("a decoded frame's own JSON is refused: \(error)")
    }
    return 0
}
