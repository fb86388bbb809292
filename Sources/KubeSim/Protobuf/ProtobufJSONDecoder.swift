import Foundation
import GaleJSON

/// Decodes protobuf messages into the JSON form KubeSim stores, following a `ProtobufMessage` schema.
///
/// Bounded before anything is trusted: lengths by `ProtobufWireReader`, nesting by `Configuration.maxDepth`, and the
/// number of fields, elements and map entries (so the size of the JSON built) by `Configuration.maxValues`.
struct ProtobufJSONDecoder {
    /// Limits on one body.
    struct Configuration: Sendable {
        /// Deepest nesting of messages, the outermost counting as 1.
        var maxDepth: Int
        /// Most fields, repeated elements and map entries read from one body, unknown fields included.
        var maxValues: Int

        init(maxDepth: Int = 32, maxValues: Int = 100_000) {
            self.maxDepth = maxDepth
            self.maxValues = maxValues
        }
    }

    let configuration: Configuration
    private var values = 0

    init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// The JSON object for `bytes` read as `message`.
    mutating func decode(_ bytes: ArraySlice<UInt8>, as message: ProtobufMessage) throws(ProtobufError) -> JSONValue {
        .object(try members(bytes, message, depth: 1))
    }

    private mutating func members(_ bytes: ArraySlice<UInt8>, _ message: ProtobufMessage, depth: Int)
        throws(ProtobufError) -> [String: JSONValue]
    {
        guard depth <= configuration.maxDepth else { throw .tooDeep(limit: configuration.maxDepth) }
        var members: [String: JSONValue] = [:]
        // Repeated fields and maps are gathered apart so each element is appended once, not copied per element.
        var lists: [String: [JSONValue]] = [:]
        var maps: [String: [String: JSONValue]] = [:]
        var reader = ProtobufWireReader(bytes)
        while let (number, value) = try reader.next() {
            try count()
            guard let field = message.fields[number] else { continue }
            switch field.kind {
            case .map(let valueKind):
                let (key, element) = try entry(value, field: field, valueKind: valueKind, depth: depth + 1)
                maps[field.name, default: [:]][key] = element
            case .inline(let inner):
                members.merge(try self.members(try payload(value, field), inner, depth: depth + 1)) { $1 }
            case let kind where field.repeated:
                if case .bytes(let packed) = value, kind.isVarint {
                    var elements = ProtobufWireReader(packed)
                    while !elements.isAtEnd {
                        try count()
                        lists[field.name, default: []].append(try scalar(.varint(try elements.varint()), field))
                    }
                } else {
                    lists[field.name, default: []].append(try single(value, field, depth: depth) ?? .null)
                }
            default:
                let decoded = try single(value, field, depth: depth)
                if let decoded, field.keepsZero || !decoded.isZeroScalar {
                    members[field.name] = decoded
                } else {
                    members[field.name] = nil
                }
            }
        }
        for (name, list) in lists { members[name] = .array(list) }
        for (name, map) in maps { members[name] = .object(map) }
        return members
    }

    /// One value of `field`; `nil` for the zero time.
    private mutating func single(_ value: ProtobufWireReader.Value, _ field: ProtobufField, depth: Int)
        throws(ProtobufError) -> JSONValue?
    {
        switch field.kind {
        case .string, .bytes, .int32, .int64, .bool:
            return try scalar(value, field)
        case .message(let inner):
            return .object(try members(try payload(value, field), inner, depth: depth + 1))
        case .stringList:
            return try stringList(try payload(value, field), depth: depth + 1)
        case .intOrString:
            return try intOrString(try payload(value, field), depth: depth + 1)
        case .quantity:
            return try quantity(try payload(value, field), depth: depth + 1)
        case .time:
            return try time(try payload(value, field), field: field, depth: depth + 1)
        case .map, .inline:
            throw .wrongWireType(field: field.name)
        }
    }

    private func scalar(_ value: ProtobufWireReader.Value, _ field: ProtobufField) throws(ProtobufError) -> JSONValue {
        switch (field.kind, value) {
        case (.string, .bytes(let bytes)): return .string(String(decoding: bytes, as: UTF8.self))
        case (.bytes, .bytes(let bytes)): return .string(Data(bytes).base64EncodedString())
        case (.int32, .varint(let raw)): return .int(Int64(Int32(truncatingIfNeeded: raw)))
        case (.int64, .varint(let raw)): return .int(Int64(bitPattern: raw))
        case (.bool, .varint(let raw)): return .bool(raw != 0)
        default: throw .wrongWireType(field: field.name)
        }
    }

    private mutating func entry(
        _ value: ProtobufWireReader.Value, field: ProtobufField, valueKind: ProtobufField.Kind, depth: Int
    ) throws(ProtobufError) -> (String, JSONValue) {
        guard depth <= configuration.maxDepth else { throw .tooDeep(limit: configuration.maxDepth) }
        var reader = ProtobufWireReader(try payload(value, field))
        var key = ""
        var element: JSONValue?
        let valueField = ProtobufField(field.name, valueKind, keepsZero: true)
        while let (number, value) = try reader.next() {
            switch number {
            case 1: key = try scalar(value, ProtobufField(field.name, .string)).stringValue ?? ""
            case 2: element = try single(value, valueField, depth: depth)
            default: continue
            }
        }
        return (key, element ?? valueKind.zero)
    }

    private mutating func stringList(_ bytes: ArraySlice<UInt8>, depth: Int) throws(ProtobufError) -> JSONValue {
        guard depth <= configuration.maxDepth else { throw .tooDeep(limit: configuration.maxDepth) }
        var reader = ProtobufWireReader(bytes)
        var items: [JSONValue] = []
        while let (number, value) = try reader.next() {
            try count()
            if number == 1 { items.append(try scalar(value, .string("items"))) }
        }
        return .array(items)
    }

    private mutating func intOrString(_ bytes: ArraySlice<UInt8>, depth: Int)
        throws(ProtobufError) -> JSONValue
    {
        let object = try members(bytes, Self.intOrStringMessage, depth: depth)
        return object["type"]?.integer == 1
            ? .string(object["strVal"]?.stringValue ?? "") : .int(object["intVal"]?.intValue ?? 0)
    }

    private mutating func quantity(_ bytes: ArraySlice<UInt8>, depth: Int) throws(ProtobufError) -> JSONValue {
        let object = try members(bytes, Self.quantityMessage, depth: depth)
        return .string(object["string"]?.stringValue ?? "0")
    }

    private mutating func time(_ bytes: ArraySlice<UInt8>, field: ProtobufField, depth: Int)
        throws(ProtobufError) -> JSONValue?
    {
        // Like metav1.Time: an empty message is the zero time, otherwise whole seconds (nanos are not kept).
        guard !bytes.isEmpty else { return nil }
        let object = try members(bytes, Self.timestampMessage, depth: depth)
        let seconds = object["seconds"]?.integer ?? 0
        guard (-62_135_596_800...253_402_300_799).contains(seconds) else { throw .timeOutOfRange(field: field.name) }
        return .string(KubeTime.format(Date(timeIntervalSince1970: TimeInterval(seconds))))
    }

    private func payload(_ value: ProtobufWireReader.Value, _ field: ProtobufField) throws(ProtobufError)
        -> ArraySlice<UInt8>
    {
        guard case .bytes(let bytes) = value else { throw .wrongWireType(field: field.name) }
        return bytes
    }

    private mutating func count() throws(ProtobufError) {
        values += 1
        guard values <= configuration.maxValues else { throw .tooManyValues(limit: configuration.maxValues) }
    }

    private static let intOrStringMessage = ProtobufMessage([
        1: .int64("type", optional: true), 2: .int32("intVal", optional: true), 3: .string("strVal"),
    ])
    private static let quantityMessage = ProtobufMessage([1: .string("string")])
    private static let timestampMessage = ProtobufMessage([1: .int64("seconds"), 2: .int32("nanos")])
}

extension ProtobufField.Kind {
    fileprivate var isVarint: Bool {
        switch self {
        case .int32, .int64, .bool: true
        default: false
        }
    }

    /// The value of a map entry that has no value field.
    fileprivate var zero: JSONValue {
        switch self {
        case .int32, .int64: .int(0)
        case .bool: .bool(false)
        case .quantity: .string("0")
        case .stringList: .array([])
        case .message, .inline, .map: .object([:])
        case .string, .bytes, .intOrString, .time: .string("")
        }
    }
}

extension JSONValue {
    /// `""`, `0` and `false`: what `omitempty` leaves out.
    fileprivate var isZeroScalar: Bool {
        switch self {
        case .string(let value): value.isEmpty
        case .int(let value): value == 0
        case .bool(let value): !value
        default: false
        }
    }
}
