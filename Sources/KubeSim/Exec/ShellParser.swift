/// Parses shell command lines: quoting, `$VAR` expansion, `;`, `&&`, `||`, `|`, and `>`, `>>`, `<` redirects.
struct ShellParser {
    enum Part: Equatable {
        case literal(String)
        case variable(String)
    }

    enum Token: Equatable {
        case word([Part])
        case op(String)
    }

    struct Command {
        var words: [[Part]] = []
        var redirects: [(op: String, target: [Part])] = []
    }

    struct Pipeline {
        var commands: [Command] = []
        /// How this pipeline joins the previous one: `;`, `&&` or `||`.
        var connector = ";"
    }

    struct SyntaxError: Error {
        let message: String
    }

    static func tokenize(_ text: String) throws(SyntaxError) -> [Token] {
        var tokens: [Token] = []
        var parts: [Part] = []
        var literal = ""
        var inWord = false
        let chars = Array(text)
        var i = 0
        func flushLiteral() {
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
        }
        func endWord() {
            flushLiteral()
            if inWord { tokens.append(.word(parts)) }
            parts = []
            inWord = false
        }
        func readVariable() -> String? {
            guard i + 1 < chars.count else { return nil }
            if chars[i + 1] == "{" {
                guard let close = chars[(i + 2)...].firstIndex(of: "}") else { return nil }
                let name = String(chars[(i + 2)..<close])
                i = close + 1
                return name
            }
            if chars[i + 1] == "?" || chars[i + 1] == "$" {
                i += 2
                return String(chars[i - 1])
            }
            var j = i + 1
            while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
            guard j > i + 1 else { return nil }
            let name = String(chars[(i + 1)..<j])
            i = j
            return name
        }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case " ", "\t", "\n", "\r":
                endWord()
                if c == "\n" { tokens.append(.op(";")) }
                i += 1
            case "'":
                inWord = true
                guard let close = chars[(i + 1)...].firstIndex(of: "'") else { throw SyntaxError(message: "unterminated quoted string") }
                literal += String(chars[(i + 1)..<close])
                i = close + 1
            case "\"":
                inWord = true
                i += 1
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count, "\"\\$`".contains(chars[i + 1]) {
                        literal.append(chars[i + 1])
                        i += 2
                    } else if chars[i] == "$", let name = readVariable() {
                        flushLiteral()
                        parts.append(.variable(name))
                    } else {
                        literal.append(chars[i])
                        i += 1
                    }
                }
                guard i < chars.count else { throw SyntaxError(message: "unterminated quoted string") }
                i += 1
            case "\\":
                inWord = true
                if i + 1 < chars.count { literal.append(chars[i + 1]) }
                i += 2
            case "$":
                inWord = true
                if let name = readVariable() {
                    flushLiteral()
                    parts.append(.variable(name))
                } else {
                    literal.append("$")
                    i += 1
                }
            case ">" where i + 2 < chars.count && chars[i + 1] == "&" && chars[i + 2].isNumber:
                endWord()
                tokens.append(.op(">&\(chars[i + 2])"))
                i += 3
            // (`case "1", "2" where …` would apply the condition to "2" only.)
            case _ where (c == "1" || c == "2") && !inWord && literal.isEmpty && i + 1 < chars.count && chars[i + 1] == ">":
                if i + 3 < chars.count, chars[i + 2] == "&", chars[i + 3].isNumber {
                    tokens.append(.op("\(c)>&\(chars[i + 3])"))
                    i += 4
                } else {
                    tokens.append(.op("\(c)>"))
                    i += 2
                }
            case ";", "|", "&", ">", "<":
                endWord()
                let next = i + 1 < chars.count ? chars[i + 1] : " "
                if (c == "|" || c == "&" || c == ">") && next == c {
                    tokens.append(.op(String([c, c])))
                    i += 2
                } else {
                    tokens.append(.op(String(c)))
                    i += 1
                }
            case "#" where !inWord:
                while i < chars.count, chars[i] != "\n" { i += 1 }
            default:
                inWord = true
                literal.append(c)
                i += 1
            }
        }
        endWord()
        return tokens
    }

    static func parse(_ text: String) throws(SyntaxError) -> [Pipeline] {
        var pipelines: [Pipeline] = []
        var pipeline = Pipeline()
        var command = Command()
        var tokens = try tokenize(text)[...]
        func finishCommand() {
            if !command.words.isEmpty || !command.redirects.isEmpty { pipeline.commands.append(command) }
            command = Command()
        }
        while let token = tokens.popFirst() {
            switch token {
            case .word(let parts): command.words.append(parts)
            case .op(let op) where op.hasSuffix(">&1") || op.hasSuffix(">&2"):
                command.redirects.append((op, []))
            case .op(let op) where op == ">" || op == ">>" || op == "<" || op == "1>" || op == "2>":
                guard case .word(let target) = tokens.popFirst() else { throw SyntaxError(message: "syntax error: unexpected redirection") }
                command.redirects.append((op, target))
            case .op("|"):
                finishCommand()
            case .op(let op) where op == ";" || op == "&&" || op == "||" || op == "&":
                finishCommand()
                if !pipeline.commands.isEmpty { pipelines.append(pipeline) }
                pipeline = Pipeline()
                pipeline.connector = op == "&" ? ";" : op
            default:
                throw SyntaxError(message: "syntax error near unexpected token")
            }
        }
        finishCommand()
        if !pipeline.commands.isEmpty { pipelines.append(pipeline) }
        return pipelines
    }
}
