import GaleJSON

/// A typed parameter of a ``ResourceTemplate``, with its checks: `{name, type, default, required,
/// pattern, minimum, maximum, description}`.
struct TemplateParameter: Sendable, Hashable {
    /// The type of a parameter's values.
    struct Kind: RawRepresentable, Sendable, Hashable {
        let rawValue: String
        init?(rawValue: String) {
            guard ["string", "integer", "boolean"].contains(rawValue) else { return nil }
            self.rawValue = rawValue
        }
        private init(_ rawValue: String) { self.rawValue = rawValue }

        static let string = Kind("string")
        static let integer = Kind("integer")
        static let boolean = Kind("boolean")
    }

    static let maxNameLength = 63
    static let maxPatternLength = 256
    static let maxDescriptionLength = 1024
    /// Longest string value accepted.
    static let maxValueLength = 4096

    var name: String
    var kind: Kind
    var defaultValue: JSONValue?
    var required: Bool
    /// A regular expression a string value must match as a whole.
    var pattern: String?
    var minimum: Int64?
    var maximum: Int64?
    var description: String

    /// Reads and checks one declared parameter (1001 naming what is wrong).
    init(_ json: JSONValue) throws(APIError) {
        guard json.objectValue != nil else { throw .invalidArgument("each of parameters must be an object") }
        guard let name = json["name"]?.stringValue, Self.isIdentifier(name) else {
            throw .invalidArgument(
                "a parameter's name must be letters, digits and '_', starting with a letter or '_', at most \(Self.maxNameLength)"
            )
        }
        self.name = name
        let type = json["type"]?.stringValue ?? "string"
        guard let kind = Kind(rawValue: type) else {
            throw .invalidArgument("parameter \"\(name)\": type must be string, integer or boolean")
        }
        self.kind = kind
        required = json["required"]?.boolValue ?? false
        description = json["description"]?.stringValue ?? ""
        guard description.utf8.count <= Self.maxDescriptionLength else {
            throw .invalidArgument(
                "parameter \"\(name)\": description is longer than \(Self.maxDescriptionLength) bytes")
        }
        pattern = json["pattern"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        minimum = json["minimum"]?.intValue
        maximum = json["maximum"]?.intValue
        if let pattern {
            guard kind == .string else {
                throw .invalidArgument("parameter \"\(name)\": pattern applies to strings only")
            }
            guard pattern.utf8.count <= Self.maxPatternLength else {
                throw .invalidArgument("parameter \"\(name)\": pattern is longer than \(Self.maxPatternLength) bytes")
            }
            guard (try? Regex(pattern)) != nil else {
                throw .invalidArgument("parameter \"\(name)\": pattern is not a valid regular expression")
            }
        }
        if minimum != nil || maximum != nil {
            guard kind == .integer else {
                throw .invalidArgument("parameter \"\(name)\": minimum and maximum apply to integers only")
            }
            if let minimum, let maximum, minimum > maximum {
                throw .invalidArgument("parameter \"\(name)\": minimum is greater than maximum")
            }
        }
        if let given = json["default"], !given.isNull {
            defaultValue = try value(given)
        }
    }

    /// The parameter as stored and shown.
    var json: JSONValue {
        var out: [String: JSONValue] = [
            "name": .string(name), "type": .string(kind.rawValue), "required": .bool(required),
            "description": .string(description), "default": defaultValue ?? .null,
        ]
        if let pattern { out["pattern"] = .string(pattern) }
        if let minimum { out["minimum"] = .int(minimum) }
        if let maximum { out["maximum"] = .int(maximum) }
        return .object(out)
    }

    /// `given` checked and typed: an integer or boolean also as its text (values from a query
    /// string); 1001 naming the parameter when it does not fit.
    func value(_ given: JSONValue) throws(APIError) -> JSONValue {
        switch kind {
        case .integer:
            let int: Int64? =
                switch given {
                case .int(let int): int
                case .double: given.intValue
                case .string(let text): Int64(text)
                default: nil
                }
            guard let int else { throw .invalidArgument("parameter \"\(name)\" must be an integer") }
            if let minimum, int < minimum {
                throw .invalidArgument("parameter \"\(name)\" must be at least \(minimum)")
            }
            if let maximum, int > maximum { throw .invalidArgument("parameter \"\(name)\" must be at most \(maximum)") }
            return .int(int)
        case .boolean:
            switch given {
            case .bool(let bool): return .bool(bool)
            case .string("true"): return true
            case .string("false"): return false
            default: throw .invalidArgument("parameter \"\(name)\" must be true or false")
            }
        default:
            guard case .string(let text) = given else {
                throw .invalidArgument("parameter \"\(name)\" must be a string")
            }
            guard text.utf8.count <= Self.maxValueLength else {
                throw .invalidArgument("parameter \"\(name)\" is longer than \(Self.maxValueLength) bytes")
            }
            if let pattern, let regex = try? Regex(pattern), (try? regex.wholeMatch(in: text)) == nil {
                throw .invalidArgument("parameter \"\(name)\" does not match the pattern \(pattern)")
            }
            return .string(text)
        }
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, at most ``maxNameLength``.
    static func isIdentifier(_ text: some StringProtocol) -> Bool {
        guard let first = text.utf8.first, (1...maxNameLength).contains(text.utf8.count) else { return false }
        func letter(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || byte == UInt8(ascii: "_")
        }
        return letter(first)
            && text.utf8.allSatisfy { letter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
