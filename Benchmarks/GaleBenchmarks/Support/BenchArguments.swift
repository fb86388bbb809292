/// The command line of one benchmark: `--name value` options and `--flag` switches.
struct BenchArguments {
    private(set) var words: [String]

    init(_ words: [String]) { self.words = words }

    /// Removes `--name` and reports whether it was there.
    mutating func flag(_ name: String) -> Bool {
        guard let index = words.firstIndex(of: name) else { return false }
        words.remove(at: index)
        return true
    }

    /// Removes `--name VALUE` and returns VALUE.
    mutating func string(_ name: String) -> String? {
        guard let index = words.firstIndex(of: name), index + 1 < words.count else { return nil }
        let value = words[index + 1]
        words.removeSubrange(index...(index + 1))
        return value
    }

    mutating func int(_ name: String, default value: Int) -> Int {
        string(name).flatMap { Int($0) } ?? value
    }

    mutating func double(_ name: String) -> Double? {
        string(name).flatMap { Double($0) }
    }

    /// Fails on words nobody asked for, so that typos do not silently run defaults.
    func requireConsumed(_ command: String) throws {
        guard words.isEmpty else {
            throw LoadSocketError("\(command): unknown arguments \(words.joined(separator: " "))")
        }
    }
}
