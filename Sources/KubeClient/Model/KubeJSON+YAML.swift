import Yams

extension JSONValue {
    /// Reads a Kubernetes manifest written in YAML (one document), resolving scalars the way
    /// the apiserver's YAML reader does: `true`/`false`, integers, floats and `null` untagged,
    /// anything quoted or tagged `!!str` a string.
    public init(yaml: String) throws {
        guard let node = try Yams.compose(yaml: yaml) else { throw YAMLContentError("the YAML document is empty") }
        self = try Self.convert(node, depth: 0)
    }

    private static func convert(_ node: Node, depth: Int) throws -> JSONValue {
        guard depth < 128 else { throw YAMLContentError("the YAML document nests deeper than 128 levels") }
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain || node.tag.rawValue == Tag.Name.str.rawValue { return .string(scalar.string) }
            if node.null != nil { return .null }
            if let bool = node.bool { return .bool(bool) }
            if let int = Int64(scalar.string) { return .int(int) }
            if let double = node.float, double.isFinite { return .double(Double(double)) }
            return .string(scalar.string)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string else { throw YAMLContentError("a mapping key is not a string") }
                members[name] = try convert(value, depth: depth + 1)
            }
            return .object(members)
        case .sequence(let sequence):
            return .array(try sequence.map { try convert($0, depth: depth + 1) })
        case .alias:
            throw YAMLContentError("YAML aliases are not accepted")
        }
    }
}

/// A manifest that is not usable YAML.
public struct YAMLContentError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
