import Foundation
import GaleJSON
import KubeClient

/// Turns a template's manifests and values into objects, without ever treating a value as YAML.
///
/// The manifests text is split into its documents (`---` lines) and each is parsed on its own,
/// within ``YAMLBudget``, before any value is looked at. Placeholders `{{ name }}` are then
/// replaced inside the parsed string scalars: a scalar that is one placeholder alone takes the
/// value with its type (`replicas: "{{ replicas }}"` becomes the integer), a placeholder inside
/// longer text is replaced by the value's text. A value is never parsed, nor searched for
/// placeholders: `"\nkind: Secret"` or `"{{ other }}"` stays that string. Mapping keys are not
/// substituted.
enum TemplateRenderer {
    /// Largest manifests text accepted.
    static let maxManifestBytes = 256 << 10
    /// Most documents in one template.
    static let maxDocuments = 50

    /// The documents of `text`, parsed; 1001 when one is not an object with apiVersion and kind.
    static func documents(_ text: String) throws(APIError) -> [JSONValue] {
        guard text.utf8.count <= maxManifestBytes else {
            throw .invalidArgument("manifests are larger than \(maxManifestBytes) bytes")
        }
        var documents: [JSONValue] = []
        for (index, part) in split(text).enumerated() {
            guard documents.count < maxDocuments else {
                throw .invalidArgument("manifests hold more than \(maxDocuments) documents")
            }
            let object: JSONValue
            do {
                object = try JSONValue(yaml: part)
            } catch {
                throw .invalidArgument("manifest document \(index + 1) is not valid YAML: \(error)")
            }
            guard object.objectValue != nil, object["apiVersion"]?.stringValue != nil,
                object["kind"]?.stringValue != nil,
                object["metadata"]?["name"]?.stringValue != nil
            else {
                throw .invalidArgument(
                    "manifest document \(index + 1) must be an object with apiVersion, kind and metadata.name")
            }
            documents.append(object)
        }
        guard !documents.isEmpty else { throw .invalidArgument("manifests hold no document") }
        return documents
    }

    /// The text of each non-empty document: lines starting `---` separate them.
    static func split(_ text: String) -> [String] {
        var parts: [String] = []
        var current: [Substring] = []
        func close() {
            let meaningful = current.contains { line in
                let trimmed = line.drop { $0 == " " }
                return !trimmed.isEmpty && !trimmed.hasPrefix("#") && trimmed != "..."
            }
            if meaningful { parts.append(current.joined(separator: "\n")) }
            current = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "---" || line.hasPrefix("--- ") || line.hasPrefix("---\t") || line == "---\r" {
                close()
                let rest = line.dropFirst(3).drop { $0 == " " || $0 == "\t" }
                if !rest.isEmpty && !rest.hasPrefix("#") { current.append(rest) }
            } else {
                current.append(line)
            }
        }
        close()
        return parts
    }

    /// Names of the placeholders in the string scalars of `value`.
    static func placeholders(in value: JSONValue) -> Set<String> {
        switch value {
        case .string(let text):
            Set(pieces(text).compactMap { if case .placeholder(let name) = $0 { name } else { nil } })
        case .array(let elements): elements.reduce(into: []) { $0.formUnion(placeholders(in: $1)) }
        case .object(let members): members.values.reduce(into: []) { $0.formUnion(placeholders(in: $1)) }
        default: []
        }
    }

    /// `value` with its placeholders replaced from `values` (a missing one as `null` alone, as
    /// nothing inside text).
    static func substitute(_ value: JSONValue, _ values: [String: JSONValue]) -> JSONValue {
        switch value {
        case .string(let text):
            let parts = pieces(text)
            if parts.count == 1, case .placeholder(let name) = parts[0] { return values[name] ?? .null }
            guard parts.contains(where: { if case .placeholder = $0 { true } else { false } }) else { return value }
            return .string(
                parts.map { part in
                    switch part {
                    case .text(let text): text
                    case .placeholder(let name): values[name].map(text(of:)) ?? ""
                    }
                }.joined())
        case .array(let elements): return .array(elements.map { substitute($0, values) })
        case .object(let members): return .object(members.mapValues { substitute($0, values) })
        default: return value
        }
    }

    private static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .int(let int): String(int)
        case .bool(let bool): bool ? "true" : "false"
        case .double(let double): "\(double)"
        default: ""
        }
    }

    enum Piece: Equatable {
        case text(String)
        case placeholder(String)
    }

    /// `text` cut into literal text and `{{ name }}` placeholders; `{{` not followed by an
    /// identifier and `}}` stays text.
    static func pieces(_ text: String) -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            literal += rest[..<open.lowerBound]
            let inner = rest[open.upperBound...]
            if let close = inner.range(of: "}}") {
                let name = inner[..<close.lowerBound].trimmingSpaces
                if TemplateParameter.isIdentifier(name) {
                    if !literal.isEmpty { pieces.append(.text(literal)) }
                    literal = ""
                    pieces.append(.placeholder(String(name)))
                    rest = inner[close.upperBound...]
                    continue
                }
            }
            literal += "{{"
            rest = inner
        }
        literal += rest
        if !literal.isEmpty { pieces.append(.text(literal)) }
        return pieces
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
