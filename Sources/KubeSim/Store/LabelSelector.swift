import GaleJSON

/// A parsed Kubernetes label selector (`app=web,tier!=db,env in (a,b),!legacy,release`).
public struct LabelSelector: Sendable, Hashable {
    /// One requirement of a selector.
    public enum Requirement: Sendable, Hashable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    /// The requirements, all of which must hold.
    public let requirements: [Requirement]

    /// A selector that matches everything.
    public static let everything = LabelSelector(requirements: [])

    public init(requirements: [Requirement]) { self.requirements = requirements }

    /// Parses the query-string form.
    public init(parsing text: String) throws(SelectorError) {
        var parser = SelectorTokenizer(text: text)
        self.requirements = try parser.parseLabelRequirements()
    }

    /// Builds a selector from a `metav1.LabelSelector` JSON object (`matchLabels`, `matchExpressions`).
    public init(object: JSONValue?) {
        var requirements: [Requirement] = []
        for (key, value) in (object?["matchLabels"]?.stringMap ?? [:]).sorted(by: { $0.key < $1.key }) {
            requirements.append(.equals(key, value))
        }
        for expression in object?["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = Set((expression["values"]?.arrayValue ?? []).compactMap(\.stringValue))
            switch expression["operator"]?.stringValue {
            case "In": requirements.append(.isIn(key, values))
            case "NotIn": requirements.append(.notIn(key, values))
            case "Exists": requirements.append(.exists(key))
            case "DoesNotExist": requirements.append(.doesNotExist(key))
            default: break
            }
        }
        self.requirements = requirements
    }

    /// Whether a label set satisfies every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): return labels[key] == value
            case .notEquals(let key, let value): return labels[key] != value
            case .isIn(let key, let values): return labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): return labels[key].map { !values.contains($0) } ?? true
            case .exists(let key): return labels[key] != nil
            case .doesNotExist(let key): return labels[key] == nil
            }
        }
    }

    /// Whether an object's `metadata.labels` satisfy the selector.
    public func matches(object: JSONValue) -> Bool {
        requirements.isEmpty || matches(object[path: ["metadata", "labels"]]?.stringMap ?? [:])
    }

    /// The selector in query-string form.
    public var text: String {
        requirements.map { requirement in
            switch requirement {
            case .equals(let key, let value): return "\(key)=\(value)"
            case .notEquals(let key, let value): return "\(key)!=\(value)"
            case .isIn(let key, let values): return "\(key) in (\(values.sorted().joined(separator: ",")))"
            case .notIn(let key, let values): return "\(key) notin (\(values.sorted().joined(separator: ",")))"
            case .exists(let key): return key
            case .doesNotExist(let key): return "!\(key)"
            }
        }.joined(separator: ",")
    }
}

/// A selector that could not be parsed.
public struct SelectorError: Error, CustomStringConvertible, Sendable {
    /// What was wrong.
    public let message: String
    public var description: String { message }
}

/// Splits selector text into requirements; shared by label and field selectors.
struct SelectorTokenizer {
    private let characters: [Character]
    private var index = 0
    private let text: String

    init(text: String) {
        self.text = text
        self.characters = Array(text)
    }

    private mutating func skipSpaces() {
        while index < characters.count, characters[index] == " " { index += 1 }
    }

    private func isKeyCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || "-_./".contains(character)
    }

    private mutating func readWord() -> String {
        skipSpaces()
        let start = index
        while index < characters.count, isKeyCharacter(characters[index]) { index += 1 }
        return String(characters[start..<index])
    }

    private func fail(_ reason: String) -> SelectorError {
        SelectorError(message: "unable to parse requirement: \(reason) in selector \"\(text)\"")
    }

    mutating func parseLabelRequirements() throws(SelectorError) -> [LabelSelector.Requirement] {
        var result: [LabelSelector.Requirement] = []
        skipSpaces()
        if index >= characters.count { return [] }
        while true {
            skipSpaces()
            var negated = false
            if index < characters.count, characters[index] == "!" {
                negated = true
                index += 1
            }
            let key = readWord()
            guard !key.isEmpty else { throw fail("missing key") }
            skipSpaces()
            if negated {
                result.append(.doesNotExist(key))
            } else if index >= characters.count || characters[index] == "," {
                result.append(.exists(key))
            } else if characters[index] == "=" {
                index += 1
                if index < characters.count, characters[index] == "=" { index += 1 }
                result.append(.equals(key, readWord()))
            } else if characters[index] == "!", index + 1 < characters.count, characters[index + 1] == "=" {
                index += 2
                result.append(.notEquals(key, readWord()))
            } else {
                let op = readWord()
                guard op == "in" || op == "notin" else { throw fail("unknown operator \"\(op)\"") }
                let values = try readSet()
                result.append(op == "in" ? .isIn(key, values) : .notIn(key, values))
            }
            skipSpaces()
            if index >= characters.count { return result }
            guard characters[index] == "," else { throw fail("expected ','") }
            index += 1
        }
    }

    private mutating func readSet() throws(SelectorError) -> Set<String> {
        skipSpaces()
        guard index < characters.count, characters[index] == "(" else { throw fail("expected '('") }
        index += 1
        var values: Set<String> = []
        while true {
            let word = readWord()
            if !word.isEmpty { values.insert(word) }
            skipSpaces()
            guard index < characters.count else { throw fail("expected ')'") }
            if characters[index] == "," {
                index += 1
                continue
            }
            guard characters[index] == ")" else { throw fail("expected ')'") }
            index += 1
            return values
        }
    }
}
