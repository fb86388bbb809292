/// A line-based unified diff (`--- live`, `+++ edited`, `@@ -a,b +c,d @@` hunks with three lines of
/// context), from the longest common subsequence of the two texts' lines.
struct LineDiff: Sendable {
    /// One line of the result.
    enum Line: Sendable, Hashable {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// Every line of both texts, in order, marked.
    let lines: [Line]

    /// Common lines at either end are matched without the table; the middle is compared in a
    /// table of at most `maxCells` cells; `nil` when it would need more.
    init?(from old: String, to new: String, maxCells: Int = 4_000_000) {
        let a = Self.split(old)
        let b = Self.split(new)
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        let x = Array(a[prefix..<(a.count - suffix)])
        let y = Array(b[prefix..<(b.count - suffix)])
        guard (x.count + 1) * (y.count + 1) <= maxCells else { return nil }
        // lengths[i][j]: the longest common subsequence of x[i...] and y[j...].
        let width = y.count + 1
        var lengths = [Int32](repeating: 0, count: (x.count + 1) * width)
        for i in stride(from: x.count - 1, through: 0, by: -1) {
            for j in stride(from: y.count - 1, through: 0, by: -1) {
                lengths[i * width + j] =
                    x[i] == y[j]
                    ? lengths[(i + 1) * width + j + 1] + 1
                    : max(lengths[(i + 1) * width + j], lengths[i * width + j + 1])
            }
        }
        var lines = a[..<prefix].map(Line.same)
        var i = 0
        var j = 0
        while i < x.count || j < y.count {
            if i < x.count, j < y.count, x[i] == y[j] {
                lines.append(.same(x[i]))
                i += 1
                j += 1
            } else if j < y.count, i == x.count || lengths[i * width + j + 1] >= lengths[(i + 1) * width + j] {
                lines.append(.added(y[j]))
                j += 1
            } else {
                lines.append(.removed(x[i]))
                i += 1
            }
        }
        lines += a[(a.count - suffix)...].map(Line.same)
        self.lines = lines
    }

    /// Whether the texts differ.
    var changed: Bool { lines.contains { if case .same = $0 { false } else { true } } }

    /// The unified diff text; empty when nothing changed.
    func unified(from oldName: String = "live", to newName: String = "edited", context: Int = 3) -> String {
        guard changed else { return "" }
        var out = "--- \(oldName)\n+++ \(newName)\n"
        // Positions of changed lines, grouped into hunks whose context overlaps.
        let changes = lines.indices.filter { if case .same = lines[$0] { false } else { true } }
        var groups: [ClosedRange<Int>] = []
        for index in changes {
            let range = max(0, index - context)...min(lines.count - 1, index + context)
            if let last = groups.last, range.lowerBound <= last.upperBound + 1 {
                groups[groups.count - 1] = last.lowerBound...range.upperBound
            } else {
                groups.append(range)
            }
        }
        for group in groups {
            // Line numbers (from 1) in each text where the hunk starts.
            var oldLine = 1
            var newLine = 1
            for line in lines[..<group.lowerBound] {
                switch line {
                case .same:
                    oldLine += 1
                    newLine += 1
                case .removed: oldLine += 1
                case .added: newLine += 1
                }
            }
            let body = lines[group]
            let oldCount = body.filter { if case .added = $0 { false } else { true } }.count
            let newCount = body.filter { if case .removed = $0 { false } else { true } }.count
            out +=
                "@@ -\(oldCount == 0 ? oldLine - 1 : oldLine),\(oldCount) +\(newCount == 0 ? newLine - 1 : newLine),\(newCount) @@\n"
            for line in body {
                switch line {
                case .same(let text): out += " " + text + "\n"
                case .removed(let text): out += "-" + text + "\n"
                case .added(let text): out += "+" + text + "\n"
                }
            }
        }
        return out
    }

    private static func split(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
