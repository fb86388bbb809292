import Yams

/// How large a YAML document may become once its aliases are expanded.
///
/// YAML anchors let a few hundred bytes name each other a billion times over; a reader that
/// expands them must count what it produces, not what it read. The defaults hold any real
/// manifest or kubeconfig many times over.
public struct YAMLBudget: Sendable, Hashable {
    /// Nodes (scalars, mappings, sequences) in the expanded document.
    public var maxNodes: Int
    /// Bytes of scalar text in the expanded document.
    public var maxScalarBytes: Int
    /// Nesting levels.
    public var maxDepth: Int

    /// Creates a budget.
    public init(maxNodes: Int = 200_000, maxScalarBytes: Int = 16 << 20, maxDepth: Int = 128) {
        self.maxNodes = maxNodes
        self.maxScalarBytes = maxScalarBytes
        self.maxDepth = maxDepth
    }

    /// The default budget.
    public static let standard = YAMLBudget()

    /// What a reader has produced so far.
    struct Spent {
        private var nodes = 0
        private var scalarBytes = 0

        /// Counts `node` (not its children); throws once the budget is exceeded.
        mutating func charge(_ node: Node, _ budget: YAMLBudget) throws {
            nodes += 1
            if case .scalar(let scalar) = node { scalarBytes += scalar.string.utf8.count }
            guard nodes <= budget.maxNodes else {
                throw YAMLContentError("the YAML document expands to more than \(budget.maxNodes) nodes (aliases count each time)")
            }
            guard scalarBytes <= budget.maxScalarBytes else {
                throw YAMLContentError("the YAML document expands to more than \(budget.maxScalarBytes) bytes of text")
            }
        }
    }

    /// Throws unless `node`, expanded, fits the budget; visits at most ``maxNodes`` nodes.
    func check(_ node: Node) throws {
        var spent = Spent()
        try check(node, depth: 0, spent: &spent)
    }

    private func check(_ node: Node, depth: Int, spent: inout Spent) throws {
        guard depth < maxDepth else { throw YAMLContentError("the YAML document nests deeper than \(maxDepth) levels") }
        try spent.charge(node, self)
        switch node {
        case .scalar, .alias: break
        case .mapping(let mapping):
            for (key, value) in mapping {
                try check(key, depth: depth + 1, spent: &spent)
                try check(value, depth: depth + 1, spent: &spent)
            }
        case .sequence(let sequence):
            for element in sequence { try check(element, depth: depth + 1, spent: &spent) }
        }
    }
}
