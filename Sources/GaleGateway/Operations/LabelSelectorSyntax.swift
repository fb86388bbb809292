/// Kubernetes' label selector grammar (`labels.Parse`): requirements joined by commas, each
/// `key`, `!key`, `key = value`, `key == value`, `key != value`, `key > n`, `key < n`,
/// `key in (v1, v2)` or `key notin (v1, v2)`; keys are qualified names (`prefix/name`), values
/// label values.
enum LabelSelectorSyntax {
    private enum Token: Equatable {
        case word(String)
        case symbol(String)
    }

    /// Why `text` is not a label selector, or `nil` when it is one (the empty selector is).
    static func problem(in text: String) -> String? {
        var tokens = tokenize(text)[...]
        guard !tokens.isEmpty else { return nil }
        while true {
            if let problem = requirement(&tokens) { return problem }
            guard let next = tokens.popFirst() else { return nil }
            guard next == .symbol(",") else { return "expected ',' between requirements" }
        }
    }

    private static func requirement(_ tokens: inout ArraySlice<Token>) -> String? {
        if tokens.first == .symbol("!") {
            tokens.removeFirst()
            guard case .word(let key)? = tokens.popFirst() else { return "expected a key after '!'" }
            return keyProblem(key)
        }
        guard case .word(let key)? = tokens.popFirst() else { return "expected a key" }
        if let problem = keyProblem(key) { return problem }
        switch tokens.first {
        case nil, .symbol(",")?:
            return nil
        case .symbol(let op)? where ["=", "==", "!="].contains(op):
            tokens.removeFirst()
            return valueProblem(&tokens, after: op)
        case .symbol(let op)? where op == ">" || op == "<":
            tokens.removeFirst()
            guard case .word(let number)? = tokens.popFirst(), Int64(number) != nil else {
                return "'\(op)' needs an integer value"
            }
            return nil
        case .word(let op)? where op == "in" || op == "notin":
            tokens.removeFirst()
            guard tokens.popFirst() == .symbol("(") else { return "expected '(' after \(op)" }
            while true {
                switch tokens.first {
                case .word(let value)?:
                    tokens.removeFirst()
                    if !isValue(value) { return "\"\(value)\" is not a label value" }
                case .symbol(",")?, .symbol(")")?:
                    break  // an empty value
                default:
                    return "expected a value or ')' in the \(op) list"
                }
                switch tokens.popFirst() {
                case .symbol(",")?: continue
                case .symbol(")")?: return nil
                default: return "expected ',' or ')' in the \(op) list"
                }
            }
        default:
            return "unexpected text after key \"\(key)\""
        }
    }

    private static func valueProblem(_ tokens: inout ArraySlice<Token>, after op: String) -> String? {
        switch tokens.first {
        case .word(let value)?:
            tokens.removeFirst()
            return isValue(value) ? nil : "\"\(value)\" is not a label value"
        case nil, .symbol(",")?:
            return nil  // `key=` selects an empty value
        default:
            return "expected a value after '\(op)'"
        }
    }

    private static func tokenize(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var word = ""
        let characters = Array(text)
        var index = 0
        func flush() {
            if !word.isEmpty { tokens.append(.word(word)) }
            word = ""
        }
        while index < characters.count {
            let character = characters[index]
            if character.isWhitespace {
                flush()
            } else if "!=<>,()".contains(character) {
                flush()
                let pair = index + 1 < characters.count ? String([character, characters[index + 1]]) : ""
                if pair == "==" || pair == "!=" {
                    tokens.append(.symbol(pair))
                    index += 1
                } else {
                    tokens.append(.symbol(String(character)))
                }
            } else {
                word.append(character)
            }
            index += 1
        }
        flush()
        return tokens
    }

    /// A qualified name: an optional DNS subdomain prefix and `/`, then a name of at most 63.
    private static func keyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return "\"\(key)\" is not a label key" }
        if parts.count == 2 {
            let prefix = parts[0]
            guard !prefix.isEmpty, prefix.count <= 253,
                prefix.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ ParameterSyntax.isLabel(String($0)) })
            else { return "\"\(key)\" has an invalid prefix" }
        }
        guard let name = parts.last, !name.isEmpty, isValue(String(name)) else { return "\"\(key)\" is not a label key" }
        return nil
    }

    /// A label value: empty, or at most 63 of `[A-Za-z0-9_.-]`, starting and ending alphanumeric.
    private static func isValue(_ value: String) -> Bool {
        guard !value.isEmpty else { return true }
        let bytes = Array(value.utf8)
        func alphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard bytes.count <= 63, let first = bytes.first, let last = bytes.last, alphanumeric(first), alphanumeric(last)
        else { return false }
        return bytes.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }
}
