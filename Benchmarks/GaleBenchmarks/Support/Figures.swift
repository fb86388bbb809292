import Foundation
import GaleJSON

/// Percentiles of a set of durations in nanoseconds.
struct LatencySummary: Sendable {
    let count: Int
    let p50: Double
    let p90: Double
    let p99: Double
    let max: Double
    let mean: Double

    /// Summarises samples in nanoseconds; figures are in milliseconds.
    init(nanoseconds samples: [UInt64]) {
        let sorted = samples.sorted()
        count = sorted.count
        func at(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let index = Swift.min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))
            return Double(sorted[index]) / 1e6
        }
        p50 = at(0.50)
        p90 = at(0.90)
        p99 = at(0.99)
        max = sorted.last.map { Double($0) / 1e6 } ?? .nan
        mean = sorted.isEmpty ? .nan : Double(sorted.reduce(0, +)) / Double(sorted.count) / 1e6
    }

    init(durations: [Duration]) {
        self.init(
            nanoseconds: durations.map {
                UInt64($0.components.seconds) * 1_000_000_000 + UInt64($0.components.attoseconds / 1_000_000_000)
            })
    }

    var json: JSONValue {
        [
            "count": .int(Int64(count)), "p50_ms": .double(p50), "p90_ms": .double(p90), "p99_ms": .double(p99),
            "max_ms": .double(max), "mean_ms": .double(mean),
        ]
    }

    var text: String {
        "p50 \(Report.ms(p50))  p90 \(Report.ms(p90))  p99 \(Report.ms(p99))  max \(Report.ms(max))  (n=\(count))"
    }
}

/// The figures of one benchmark run: printed as a small table, optionally written as JSON.
struct Report {
    let title: String
    private(set) var rows: [(String, String)] = []
    private(set) var values: [String: JSONValue] = [:]

    init(_ title: String) { self.title = title }

    mutating func add(_ label: String, _ text: String) { rows.append((label, text)) }

    mutating func set(_ key: String, _ value: JSONValue) { values[key] = value }

    mutating func set(_ key: String, _ value: Double) { values[key] = value.isFinite ? .double(value) : .null }

    mutating func set(_ key: String, _ value: Int) { values[key] = .int(Int64(value)) }

    mutating func set(_ key: String, _ value: String) { values[key] = .string(value) }

    mutating func set(_ key: String, _ value: Bool) { values[key] = .bool(value) }

    mutating func set(_ key: String, _ summary: LatencySummary) { values[key] = summary.json }

    /// Prints the table; with `jsonPath`, appends the values as one JSON line to that file.
    func emit(jsonPath: String?) {
        print("== \(title)")
        let width = rows.map(\.0.count).max() ?? 0
        for (label, text) in rows {
            print("  " + label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + text)
        }
        fflush(nil)
        guard let jsonPath else { return }
        var object = values
        object["benchmark"] = .string(title)
        let line = JSONValue.object(object).jsonString + "\n"
        if let handle = FileHandle(forWritingAtPath: jsonPath) {
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            try? handle.close()
        } else {
            FileManager.default.createFile(atPath: jsonPath, contents: Data(line.utf8))
        }
    }

    static func ms(_ value: Double) -> String { value.isFinite ? String(format: "%.2f ms", value) : "n/a" }

    static func rate(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        return value >= 1000 ? String(format: "%.1fk/s", value / 1000) : String(format: "%.0f/s", value)
    }

    static func kib(_ value: Double) -> String { value.isFinite ? String(format: "%.1f KiB", value) : "n/a" }
}
