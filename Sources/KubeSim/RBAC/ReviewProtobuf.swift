/// Reads the review requests typed Kubernetes clients send as protobuf (`application/vnd.kubernetes.protobuf`):
/// kubectl's `auth can-i` and `auth whoami` use it. Only the spec fields the reviews need are decoded, into the
/// JSON form the rest of KubeSim uses; the answer goes back as JSON, which those clients accept.
enum ReviewProtobuf {
    static let contentType = "application/vnd.kubernetes.protobuf"
    private static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]  // "k8s\0"

    /// The review object (`spec` only) from a protobuf body, or `nil` when the bytes are not one.
    static func decode(_ bytes: [UInt8], type: ResourceType) -> JSONValue? {
        guard bytes.starts(with: magic) else { return nil }
        // runtime.Unknown: 1 typeMeta, 2 raw (the object), 3 contentEncoding, 4 contentType.
        guard let envelope = try? fields(bytes[magic.count...]),
            let raw = envelope.first(where: { $0.number == 2 })?.bytes
        else {
            return nil
        }
        // Every review: 1 metadata, 2 spec, 3 status.
        guard let object = try? fields(raw[...]) else { return nil }
        let specBytes = object.first { $0.number == 2 }?.bytes ?? []
        guard let spec = try? fields(specBytes[...]) else { return nil }
        var json: JSONValue = .emptyObject
        switch type {
        case ResourceCatalog.selfSubjectRulesReviews:
            json["namespace"] = string(spec, 1)
        case ResourceCatalog.selfSubjectReviews:
            break
        case ResourceCatalog.selfSubjectAccessReviews:
            json = attributes(spec, resource: 1, nonResource: 2)
        default:
            // SubjectAccessReviewSpec: 1 resourceAttributes, 2 nonResourceAttributes, 3 user, 4 groups, 6 uid.
            json = attributes(spec, resource: 1, nonResource: 2)
            json["user"] = string(spec, 3)
            json["groups"] = .array(
                spec.filter { $0.number == 4 }.map { .string(String(decoding: $0.bytes, as: UTF8.self)) })
            json["uid"] = string(spec, 6)
        }
        return ["spec": json]
    }

    private static func attributes(_ spec: [Field], resource: Int, nonResource: Int) -> JSONValue {
        var json: JSONValue = .emptyObject
        if let bytes = spec.first(where: { $0.number == resource })?.bytes, let fields = try? fields(bytes[...]) {
            var attributes: JSONValue = .emptyObject
            for (number, key) in [
                (1, "namespace"), (2, "verb"), (3, "group"), (4, "version"), (5, "resource"), (6, "subresource"),
                (7, "name"),
            ] {
                attributes[key] = string(fields, number)
            }
            json["resourceAttributes"] = attributes
        }
        if let bytes = spec.first(where: { $0.number == nonResource })?.bytes, let fields = try? fields(bytes[...]) {
            json["nonResourceAttributes"] = ["path": string(fields, 1), "verb": string(fields, 2)]
        }
        return json
    }

    private static func string(_ fields: [Field], _ number: Int) -> JSONValue {
        .string(fields.first { $0.number == number }.map { String(decoding: $0.bytes, as: UTF8.self) } ?? "")
    }

    struct Field {
        let number: Int
        /// Contents of a length-delimited field; empty for the others.
        let bytes: [UInt8]
    }

    struct Malformed: Error {}

    /// The top-level fields of one message.
    static func fields(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> [Field] {
        var result: [Field] = []
        var index = bytes.startIndex
        func varint() throws(Malformed) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.endIndex, shift < 64 {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            throw Malformed()
        }
        while index < bytes.endIndex {
            let key = try varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: _ = try varint()
            case 1: index += 8
            case 5: index += 4
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.endIndex - index) else { throw Malformed() }
                result.append(Field(number: number, bytes: Array(bytes[index..<index + Int(length)])))
                index += Int(length)
            default: throw Malformed()
            }
            guard index <= bytes.endIndex else { throw Malformed() }
        }
        return result
    }
}
