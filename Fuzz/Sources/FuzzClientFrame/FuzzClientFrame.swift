import GaleJSON
import GaleProtocol

/// libFuzzer entry point: client text frames as the gateway receives them from a WebSocket.
///
/// A frame that decodes must come back unchanged from its own JSON value, and its serialized text
/// must decode to a frame serializing to the same text. (Text is compared, not values: the
/// serializer writes an integral double such as `1.00` as `1`, which reads back as an integer.)
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
        var again: [UInt8] = []
        try ClientFrame(text: text).json.write(to: &again)
        precondition(again == text, "a decoded frame's JSON text changes after decoding it again")
    } catch {
        fatalError("a decoded frame's own JSON is refused: \(error)")
    }
    return 0
}
