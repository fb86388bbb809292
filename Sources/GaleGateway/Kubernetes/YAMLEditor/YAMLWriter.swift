import GaleJSON

/// Writes a JSON value as block-style YAML for an editor: `apiVersion`, `kind` and `metadata`
/// first, `status` last, other members by name; a string is written plain only when a YAML
/// reader would read it back as that same string, and quoted (or as a literal block, for text
/// of several lines) otherwise. Reading the text back with `JSONValue(yaml:)` gives the value.
enum YAMLWriter {
    /// The YAML text of `value`, ending with a line break.
    static func text(_ value: JSONValue) -> String {
        var out = ""
        switch value {
        case .object(let members) where !members.isEmpty:
            writeMembers(members, indent: 0, into: &out)
        case .array(let elements) where !elements.isEmpty:
            writeElements(elements, indent: 0, into: &out)
        default:
            out += inline(value) + "\n"
        }
        return out
    }

    /// Member order: the header of a Kubernetes object first, `status` last.
    static func orderedKeys(_ members: [String: JSONValue]) -> [String] {
        let leading = ["apiVersion", "kind", "metadata"]
        let rest = members.keys.filter { !leading.contains($0) && $0 != "status" }.sorted()
        return leading.filter { members[$0] != nil } + rest + (members["status"] != nil ? ["status"] : [])
    }

    private static func writeMembers(_ members: [String: JSONValue], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for key in orderedKeys(members) {
            out += pad + scalar(key) + ":"
            writeValue(members[key]!, indent: indent, into: &out)
        }
    }

    private static func writeElements(_ elements: [JSONValue], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for element in elements {
            switch element {
            case .object(let members) where !members.isEmpty:
                // The first member on the dash's line, the others under it.
                var nested = ""
                writeMembers(members, indent: indent + 2, into: &nested)
                out += pad + "- " + nested.dropFirst(indent + 2)
            case .array(let inner) where !inner.isEmpty:
                out += pad + "-\n"
                writeElements(inner, indent: indent + 2, into: &out)
            case .string(let text) where literalBlock(text):
                out += pad + "-"
                writeLiteral(text, indent: indent + 2, into: &out)
            default:
                out += pad + "- " + inline(element) + "\n"
            }
        }
    }

    /// The rest of a `key:` line and the lines of its value.
    private static func writeValue(_ value: JSONValue, indent: Int, into out: inout String) {
        switch value {
        case .object(let members) where !members.isEmpty:
            out += "\n"
            writeMembers(members, indent: indent + 2, into: &out)
        case .array(let elements) where !elements.isEmpty:
            out += "\n"
            writeElements(elements, indent: indent, into: &out)
        case .string(let text) where literalBlock(text):
            writeLiteral(text, indent: indent + 2, into: &out)
        default:
            out += " " + inline(value) + "\n"
        }
    }

    /// Text of several lines as a literal block (`|`, `|-` or `|+` by its final line breaks).
    private static func writeLiteral(_ text: String, indent: Int, into out: inout String) {
        var body = Substring(text)
        var trailing = 0
        while body.hasSuffix("\n") {
            body = body.dropLast()
            trailing += 1
        }
        out += trailing == 0 ? " |-\n" : trailing == 1 ? " |\n" : " |+\n"
        let pad = String(repeating: " ", count: indent)
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            out += line.isEmpty ? "\n" : pad + line + "\n"
        }
        for _ in 1..<max(trailing, 1) { out += "\n" }
    }

    /// Whether `text` reads back unchanged as a literal block: several lines, printable, none
    /// beginning with a space (the block's indentation would swallow it) or ending with one.
    private static func literalBlock(_ text: String) -> Bool {
        guard text.contains("\n"), !text.hasPrefix("\n") else { return false }
        for scalar in text.unicodeScalars where scalar != "\n" && (scalar.value < 0x20 || scalar.value == 0x7F) {
            return false
        }
        return text.split(separator: "\n").allSatisfy { !$0.hasPrefix(" ") && !$0.hasSuffix(" ") }
    }

    /// A value on one line: a scalar, or an empty collection.
    static func inline(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let bool): bool ? "true" : "false"
        case .int(let int): String(int)
        case .double(let double): double.isFinite ? "\(double)" : "null"
        case .string(let text): scalar(text)
        case .array: "[]"
        case .object: "{}"
        }
    }

    /// A string as a scalar: plain when it is safe, else double-quoted with escapes.
    static func scalar(_ text: String) -> String {
        plainIsSafe(text) ? text : quoted(text)
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value):
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Words a YAML 1.1 reader would take for a boolean or null.
    private static let reserved: Set<String> = [
        "", "~", "<<", "=", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
    ]

    /// Whether `text` written plain reads back as the same string.
    private static func plainIsSafe(_ text: String) -> Bool {
        guard !reserved.contains(text.lowercased()), text.utf8.count <= 1024 else { return false }
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
        if first == " " || last == " " || last == ":" { return false }
        if "-?:,[]{}#&*!|>'\"%@`.+0123456789".unicodeScalars.contains(first) {
            // Numbers, signs and dots might read as numbers (`1e3`, `.inf`, `0x1F`); flow and
            // indicator characters would change the structure.
            return false
        }
        if text.contains(": ") || text.contains(" #") || text.contains("\t") { return false }
        return text.unicodeScalars.allSatisfy {
            $0.value >= 0x20 && $0.value != 0x7F && !(0x80...0x9F).contains($0.value)
        }
    }
}
