import Yams

extension JSONValue {
    /// Reads a Kubernetes manifest written in YAML (one document), resolving scalars the way
    /// the apiserver's YAML reader does: `true`/`false`, integers, floats and `null` untagged,
    /// anything quoted or tagged `!!str` a string.
    ///
    /// Aliases are expanded, within `budget`: a small document whose anchors refer to each other
    /// ("billion laughs") is refused as soon as its expansion passes the budget, long before it
    /// could fill memory.
    public init(yaml: String, budget: YAMLBudget = .standard) throws {
        guard let node = try Yams.compose(yaml: yaml) else { throw YAMLContentError("the YAML document is empty") }
        var spent = YAMLBudget.Spent()
        self = try Self.convert(node, depth: 0, budget: budget, spent: &spent)
    }

    private static func convert(_ node: Node, depth: Int, budget: YAMLBudget, spent: inout YAMLBudget.Spent) throws
        -> JSONValue
    {
        guard depth < budget.maxDepth else {
            throw YAMLContentError("the YAML document nests deeper than \(budget.maxDepth) levels")
        }
        try spent.charge(node, budget)
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
                members[name] = try convert(value, depth: depth + 1, budget: budget, spent: &spent)
            }
            return .object(members)
        case .sequence(let sequence):
            var elements: [JSONValue] = []
            elements.reserveCapacity(min(sequence.count, 1024))
            for element in sequence {
                elements.append(try convert(element, depth: depth + 1, budget: budget, spent: &spent))
            }
            return .array(elements)
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
