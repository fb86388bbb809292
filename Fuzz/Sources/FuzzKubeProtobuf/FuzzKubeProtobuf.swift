@testable import KubeSim

@_silgen_name("__lsan_disable") private func leakCheckDisable()
@_silgen_name("__lsan_enable") private func leakCheckEnable()

/// libFuzzer set-up: builds KubeSim's protobuf schema tables once, with LeakSanitizer ignoring them. They live as long
/// as the process, but Swift keeps the payloads of indirect enum cases behind tagged pointers that LeakSanitizer does
/// not recognise, so otherwise it would report them as leaked by the first input.
@_cdecl("LLVMFuzzerInitialize")
public func initializeKubeProtobuf(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    leakCheckDisable()
    _ = KubeProtobuf.schemas.count
    leakCheckEnable()
    return 0
}

/// libFuzzer entry point: a protobuf request body (`application/vnd.kubernetes.protobuf`) as kubectl's generators
/// and typed clients send it, decoded into JSON by KubeSim (`KubeProtobuf.decode`).
///
/// A body that decodes must give JSON that parses back to the same value; one that does not must be refused with a
/// 400 or 415 Status.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKubeProtobuf(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let json = try KubeProtobuf.decode(bytes[...])
        var text: [UInt8] = []
        json.write(to: &text)
        guard let reparsed = try? JSONParser.parse(text, configuration: .kubeSim) else {
            fatalError("a decoded body is not valid JSON")
        }
        precondition(reparsed == json, "a decoded body does not round-trip through JSON")
    } catch {
        precondition([400, 415].contains(error.status.code), "a refused body answers \(error.status.code)")
    }
    return 0
}
