/// Where each field of a block-style YAML document starts: `spec.template.spec.containers[0].image`
/// → line 14, column 11 (both from 1), for pointing an editor at the fields the apiserver
/// refused.
///
/// It reads the layout of the text only (indentation, `key:` and `- `), after the document has
/// parsed as YAML; what it cannot place (a field inside a flow collection `{…}`/`[…]`) is
/// answered with the nearest enclosing field it did place.
struct YAMLFieldMarks: Sendable {
    /// A position in the text.
    struct Mark: Sendable, Hashable {
        var line: Int
        var column: Int
    }

    private(set) var marks: [String: Mark] = [:]

    /// The marks of `text`; reads at most `maxLines` lines.
    init(_ text: String, maxLines: Int = 50_000) {
        var frames: [Frame] = []
        var counts: [String: Int] = [:]
        /// Lines indented deeper than this belong to the scalar above (a block or continued scalar).
        var scalarIndent: Int?
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(maxLines).enumerated()
        {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let content = line.drop { $0 == " " }
            let indent = line.count - content.count
            if content.isEmpty || content.hasPrefix("#") { continue }
            if let limit = scalarIndent {
                if indent > limit { continue }
                scalarIndent = nil
            }
            if indent == 0, content.hasPrefix("---") || content.hasPrefix("...") { continue }
            var column = indent
            var rest = Substring(content)
            // `- - key: value` nests items; each dash opens one.
            while rest == "-" || rest.hasPrefix("- ") {
                while let top = frames.last, top.column > column || (top.column == column && top.isItem) {
                    frames.removeLast()
                }
                let parent = frames.last?.path ?? ""
                let index = counts[parent, default: 0]
                counts[parent] = index + 1
                let path = parent + "[\(index)]"
                marks[path] = marks[path] ?? Mark(line: number + 1, column: column + 1)
                frames.append(Frame(column: column, path: path, isItem: true))
                let after = rest.dropFirst()
                let item = after.drop { $0 == " " }
                column += 1 + (after.count - item.count)
                rest = item
                if rest.isEmpty { break }
            }
            guard !rest.isEmpty else { continue }
            guard let (key, value) = Self.splitKey(rest) else {
                // A scalar item (`- nginx`) or a continued scalar: what follows deeper is its text.
                scalarIndent = column
                continue
            }
            while let top = frames.last, top.column >= column {
                frames.removeLast()
            }
            let parent = frames.last?.path ?? ""
            let path = parent.isEmpty ? key : parent + "." + key
            marks[path] = marks[path] ?? Mark(line: number + 1, column: column + 1)
            frames.append(Frame(column: column, path: path, isItem: false))
            let trimmed = value.drop { $0 == " " }
            if !(trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("&") || trimmed.hasPrefix("!")) {
                scalarIndent = column
            }
        }
    }

    /// The mark of `field` (an apiserver field path such as `spec.containers[0].image` or
    /// `metadata.labels[app]`), or of the nearest enclosing field that has one.
    func mark(of field: String) -> (path: String, mark: Mark)? {
        var path = Self.normalized(field)
        while !path.isEmpty {
            if let mark = marks[path] { return (path, mark) }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            path = String(path[..<cut])
        }
        return nil
    }

    /// `metadata.labels[app]` as this reader names it: `metadata.labels.app`; list indexes stay.
    static func normalized(_ field: String) -> String {
        var out = ""
        var rest = Substring(field)
        while let open = rest.firstIndex(of: "[") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "]") else { break }
            let inside = rest[rest.index(after: open)..<close]
            out += inside.allSatisfy(\.isNumber) && !inside.isEmpty ? "[\(inside)]" : ".\(inside)"
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    private struct Frame {
        var column: Int
        var path: String
        var isItem: Bool
    }

    /// `key: value` → the key (unquoted) and what follows the colon; `nil` when the text is not a
    /// mapping entry.
    static func splitKey(_ text: Substring) -> (key: String, value: Substring)? {
        if let quote = text.first, quote == "\"" || quote == "'" {
            var key = ""
            var index = text.index(after: text.startIndex)
            while index < text.endIndex {
                let character = text[index]
                if character == "\\", quote == "\"", text.index(after: index) < text.endIndex {
                    index = text.index(after: index)
                    key.append(text[index])
                } else if character == quote {
                    let next = text.index(after: index)
                    if quote == "'", next < text.endIndex, text[next] == "'" {
                        key.append("'")
                        index = next
                    } else {
                        let after = text[next...].drop { $0 == " " }
                        guard after.first == ":" else { return nil }
                        let value = after.dropFirst()
                        guard value.isEmpty || value.first == " " else { return nil }
                        return (key, value)
                    }
                } else {
                    key.append(character)
                }
                index = text.index(after: index)
            }
            return nil
        }
        if let first = text.first, "[{|>&*!%@`".contains(first) { return nil }
        var index = text.startIndex
        while let colon = text[index...].firstIndex(of: ":") {
            let next = text.index(after: colon)
            if next == text.endIndex || text[next] == " " {
                let key = text[..<colon]
                if key.contains(" #") { return nil }
                return (String(key).trimmingTrailingSpaces, text[next...])
            }
            index = next
        }
        return nil
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var text = Substring(self)
        while text.hasSuffix(" ") { text = text.dropLast() }
        return String(text)
    }
}
