import GaleJSON

/// Reads the members of a frame object with precise error messages.
struct FieldReader {
    let members: [String: JSONValue]
    let id: FrameID?

    init(_ members: [String: JSONValue], id: FrameID? = nil) {
        self.members = members
        self.id = id
    }

    /// A reader over a frame object, with the frame's `id` when it has a readable one.
    init(frame json: JSONValue) throws(FrameError) {
        guard let members = json.objectValue else { throw FrameError("frame must be a JSON object") }
        self.init(members, id: members["id"].flatMap(FrameID.init(json:)))
    }

    /// Parses the text of a frame, reporting invalid JSON as a ``FrameError``.
    static func parseFrame(_ text: some Collection<UInt8>) throws(FrameError) -> JSONValue {
        do {
            return try JSONParser.parse(text)
        } catch {
            throw FrameError("frame is not valid JSON: \(error.reason) at byte \(error.offset)")
        }
    }

    func fail(_ message: String) -> FrameError {
        FrameError(message, id: id)
    }

    func string(_ key: String) throws(FrameError) -> String {
        guard let value = try optionalString(key) else { throw fail("missing field \"\(key)\"") }
        return value
    }

    func optionalString(_ key: String) throws(FrameError) -> String? {
        guard let value = members[key], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw wrongType(key, "a string", value) }
        return string
    }

    func int(_ key: String) throws(FrameError) -> Int64 {
        guard let value = try optionalInt(key) else { throw fail("missing field \"\(key)\"") }
        return value
    }

    func optionalInt(_ key: String) throws(FrameError) -> Int64? {
        guard let value = members[key], !value.isNull else { return nil }
        guard let int = value.intValue else { throw wrongType(key, "an integer", value) }
        return int
    }

    func channel(_ key: String = "channel") throws(FrameError) -> UInt32 {
        let value = try int(key)
        guard let channel = UInt32(exactly: value), channel > 0 else {
            throw fail("field \"\(key)\" must be a channel number from 1 to \(UInt32.max)")
        }
        return channel
    }

    func optionalChannel(_ key: String = "channel") throws(FrameError) -> UInt32? {
        guard let value = members[key], !value.isNull else { return nil }
        return try channel(key)
    }

    func sequence(_ key: String = "seq") throws(FrameError) -> UInt64 {
        let value = try int(key)
        guard value >= 0 else { throw fail("field \"\(key)\" must be a non-negative integer") }
        return UInt64(value)
    }

    func optionalBool(_ key: String) throws(FrameError) -> Bool? {
        guard let value = members[key], !value.isNull else { return nil }
        guard let bool = value.boolValue else { throw wrongType(key, "a boolean", value) }
        return bool
    }

    func optionalObject(_ key: String) throws(FrameError) -> [String: JSONValue]? {
        guard let value = members[key], !value.isNull else { return nil }
        guard let object = value.objectValue else { throw wrongType(key, "an object", value) }
        return object
    }

    func stringArray(_ key: String) throws(FrameError) -> [String] {
        guard let value = members[key], !value.isNull else { throw fail("missing field \"\(key)\"") }
        guard let array = value.arrayValue else { throw wrongType(key, "an array of strings", value) }
        var strings: [String] = []
        for element in array {
            guard let string = element.stringValue else { throw wrongType(key, "an array of strings", value) }
            strings.append(string)
        }
        return strings
    }

    /// A string-to-string map; numbers and booleans are accepted and written as text, since
    /// query parameters are text on the HTTP side too.
    func optionalStringMap(_ key: String) throws(FrameError) -> [String: String]? {
        guard let object = try optionalObject(key) else { return nil }
        var map: [String: String] = [:]
        for (name, value) in object {
            switch value {
            case .string(let string): map[name] = string
            case .int(let int): map[name] = String(int)
            case .bool(let bool): map[name] = String(bool)
            case .double(let double): map[name] = "\(double)"
            case .null: continue
            default: throw fail("field \"\(key).\(name)\" must be a string, number or boolean")
            }
        }
        return map
    }

    private func wrongType(_ key: String, _ expected: String, _ value: JSONValue) -> FrameError {
        fail("field \"\(key)\" must be \(expected), not \(value.typeName)")
    }
}
