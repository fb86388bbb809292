/// Reads the protobuf wire format one field at a time.
///
/// Every length is checked against the bytes left before it is used, so a hostile length can neither read past the
/// message nor make the reader allocate: values are slices of the input.
struct ProtobufWireReader {
    /// One field's value as the wire format carries it.
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        /// A length-delimited value: a string, bytes, an embedded message or a packed array.
        case bytes(ArraySlice<UInt8>)
    }

    /// The largest field number protobuf allows (2^29 - 1).
    static let maxFieldNumber = 536_870_911

    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    /// Whether every field has been read.
    var isAtEnd: Bool { index >= bytes.endIndex }

    /// The next field, or `nil` at the end of the message.
    mutating func next() throws(ProtobufError) -> (number: Int, value: Value)? {
        guard !isAtEnd else { return nil }
        let key = try varint()
        guard key >> 3 >= 1, key >> 3 <= UInt64(Self.maxFieldNumber) else { throw .invalidFieldNumber }
        let number = Int(key >> 3)
        switch key & 7 {
        case 0:
            return (number, .varint(try varint()))
        case 1:
            let raw = try take(8)
            return (number, .fixed64(raw.reversed().reduce(0) { $0 << 8 | UInt64($1) }))
        case 2:
            let length = try varint()
            guard length <= UInt64(bytes.endIndex - index) else { throw .truncated }
            return (number, .bytes(try take(Int(length))))
        case 5:
            let raw = try take(4)
            return (number, .fixed32(raw.reversed().reduce(0) { $0 << 8 | UInt32($1) }))
        case let type:
            throw .unsupportedWireType(type)
        }
    }

    /// A base-128 varint of at most ten bytes.
    mutating func varint() throws(ProtobufError) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: UInt64(0), to: 70, by: 7) {
            guard index < bytes.endIndex else { throw .malformedVarint }
            let byte = bytes[index]
            index += 1
            if shift == 63, byte > 1 { throw .malformedVarint }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
        }
        throw .malformedVarint
    }

    private mutating func take(_ count: Int) throws(ProtobufError) -> ArraySlice<UInt8> {
        guard count <= bytes.endIndex - index else { throw .truncated }
        defer { index += count }
        return bytes[index..<index + count]
    }
}
