import Foundation
import GaleJSON

/// A parsed field selector (`metadata.name=web,status.phase!=Running`).
///
/// Supports the fields the real apiserver indexes for the simulated kinds: `metadata.name`,
/// `metadata.namespace`, `status.phase`, `spec.nodeName`, `spec.unschedulable`, `involvedObject.*`,
/// `type`, `reason` and any other dotted path into the object.
public struct FieldSelector: Sendable, Hashable {
    /// One `field=value` or `field!=value` term.
    public struct Term: Sendable, Hashable {
        public let field: String
        public let value: String
        public let negated: Bool
    }

    /// All terms must hold.
    public let terms: [Term]

    /// A selector that matches everything.
    public static let everything = FieldSelector(terms: [])

    init(terms: [Term]) { self.terms = terms }

    /// Parses the query-string form.
    public init(parsing text: String) throws(SelectorError) {
        var terms: [Term] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let part = String(part).trimmingCharacters(in: " ")
            if let range = part.range(of: "!=") {
                terms.append(Term(field: String(part[..<range.lowerBound]), value: String(part[range.upperBound...]), negated: true))
            } else if let range = part.range(of: "==") {
                terms.append(Term(field: String(part[..<range.lowerBound]), value: String(part[range.upperBound...]), negated: false))
            } else if let range = part.range(of: "=") {
                terms.append(Term(field: String(part[..<range.lowerBound]), value: String(part[range.upperBound...]), negated: false))
            } else {
                throw SelectorError(message: "invalid selector: '\(text)'; can't understand '\(part)'")
            }
        }
        self.terms = terms
    }

    /// Whether the object satisfies every term.
    public func matches(object: JSONValue) -> Bool {
        terms.allSatisfy { term in
            let actual = Self.value(of: term.field, in: object)
            return (actual == term.value) != term.negated
        }
    }

    /// The string value of a dotted field path, as the apiserver's field label conversion renders it.
    static func value(of field: String, in object: JSONValue) -> String {
        let path = field.split(separator: ".").map(String.init)
        guard let value = object[path: path] else {
            switch field {
            case "spec.unschedulable": return "false"
            case "metadata.namespace": return ""
            default: return ""
            }
        }
        switch value {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        default: return value.jsonString
        }
    }
}

extension String {
    func trimmingCharacters(in character: Character) -> String {
        var slice = Substring(self)
        while slice.first == character { slice = slice.dropFirst() }
        while slice.last == character { slice = slice.dropLast() }
        return String(slice)
    }
}
