import GaleJSON
import KubeClient

/// libFuzzer entry point: a YAML manifest sent as the `content` of create or update, turned into
/// the JSON object the gateway sends upstream (`JSONValue(yaml:)`).
///
/// A manifest that converts must give JSON that GaleJSON parses back to the same text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYAMLContent(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let value = try? JSONValue(yaml: text) else { return 0 }
    let json = value.jsonString
    guard let reparsed = try? JSONValue(parsing: json) else {
        fatalError("a converted manifest is not valid JSON")
    }
    precondition(reparsed.jsonString == json, "a converted manifest does not round-trip through JSON")
    return 0
}
