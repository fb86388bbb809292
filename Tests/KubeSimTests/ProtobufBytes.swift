/// Builds protobuf wire bytes for tests: the bodies typed Kubernetes clients send, and broken ones.
enum ProtobufBytes {
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return bytes + [UInt8(value)]
    }

    static func key(_ number: Int, wireType: UInt64) -> [UInt8] { varint(UInt64(number) << 3 | wireType) }

    /// A length-delimited field (string, bytes, message).
    static func field(_ number: Int, _ bytes: [UInt8]) -> [UInt8] {
        key(number, wireType: 2) + varint(UInt64(bytes.count)) + bytes
    }

    static func field(_ number: Int, _ text: String) -> [UInt8] { field(number, Array(text.utf8)) }

    static func field(_ number: Int, varint value: UInt64) -> [UInt8] { key(number, wireType: 0) + varint(value) }

    /// A `map<string, string>` entry.
    static func entry(_ number: Int, _ key: String, _ value: String) -> [UInt8] {
        field(number, field(1, key) + field(2, value))
    }

    /// `k8s\0` + runtime.Unknown{typeMeta, raw}.
    static func body(apiVersion: String, kind: String, _ raw: [UInt8]) -> [UInt8] {
        magic + field(1, field(1, apiVersion) + field(2, kind)) + field(2, raw)
    }

    /// Bytes from a hex dump such as kubectl -v=9 prints (spaces and newlines ignored).
    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.filter(\.isHexDigit))
        return stride(from: 0, to: digits.count - 1, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }
}
