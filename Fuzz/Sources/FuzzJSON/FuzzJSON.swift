import GaleJSON

/// libFuzzer entry point: GaleJSON's parser on arbitrary bytes.
///
/// A document that parses must serialize to text that parses again to a value serializing to the
/// same bytes (the serializer's output is a fixed point of parse-then-serialize).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard let value = try? JSONParser.parse(input) else { return 0 }
    var first: [UInt8] = []
    value.write(to: &first)
    let reparsed: JSONValue
    do {
        reparsed = try JSONParser.parse(first)
    } catch {
        fatalError("the serializer wrote JSON its own parser refuses: \(error)")
    }
    var second: [UInt8] = []
    reparsed.write(to: &second)
    precondition(first == second, "serializing a parsed document is not stable")
    return 0
}
