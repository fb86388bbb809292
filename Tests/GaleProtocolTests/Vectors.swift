import Foundation
import GaleJSON
import Testing

/// One entry of a vector file in `protocol/vectors/`.
struct Vector: Sendable, CustomTestStringConvertible {
    let members: [String: JSONValue]

    var name: String { members["name"]?.stringValue ?? members["code"].map { "code \($0)" } ?? "unnamed" }
    var testDescription: String { name }

    subscript(key: String) -> JSONValue? { members[key] }

    /// The parsed input, when the vector gives it as a JSON value (`frame`).
    var frame: JSONValue? { members["frame"] }

    /// The raw input message: `text`, `hex`, or `frame` serialized.
    func message() throws -> [UInt8] {
        if let text = members["text"]?.stringValue { return Array(text.utf8) }
        if let hex = members["hex"]?.stringValue { return try [UInt8](hex: hex) }
        let frame = try #require(frame, "vector \(name) has no input")
        return Array(frame.jsonString.utf8)
    }
}

/// The vector files, read from the checkout so that `protocol/vectors/` stays their only copy.
enum Vectors {
    static let files = ["client-frames.json", "server-frames.json", "stream-frames.json", "error-codes.json"]

    /// `protocol/vectors/`, found by walking up from this source file to the repository root.
    static let directory: URL? = {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("protocol/vectors")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        return nil
    }()

    static func load(_ file: String) throws -> JSONValue {
        let directory = try #require(directory, "protocol/vectors not found above \(#filePath)")
        let data = try Data(contentsOf: directory.appendingPathComponent(file))
        return try JSONParser.parse(data)
    }

    /// The entries of `section`, or none when the file cannot be read (``VectorFileTests`` reports that).
    static func entries(_ file: String, _ section: String) -> [Vector] {
        guard let entries = (try? load(file))?[section]?.arrayValue else { return [] }
        return entries.compactMap { $0.objectValue.map(Vector.init(members:)) }
    }
}

@Suite struct VectorFileTests {
    @Test(arguments: Vectors.files)
    func fileLoadsWithEntries(_ file: String) throws {
        let json = try Vectors.load(file)
        let sections = file == "error-codes.json" ? ["codes", "unknown"] : ["valid", "invalid"]
        for section in sections {
            let entries = try #require(json[section]?.arrayValue, "\(file) has no \(section)")
            #expect(!entries.isEmpty)
            #expect(entries.allSatisfy { $0.objectValue != nil })
        }
    }
}

extension [UInt8] {
    init(hex: String) throws {
        let digits = Array(hex.utf8)
        try #require(digits.count % 2 == 0, "odd hex length")
        self = try stride(from: 0, to: digits.count, by: 2).map { index in
            try #require(UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16), "bad hex")
        }
    }

    var hex: String { map { String($0, radix: 16).leftPadded(to: 2) }.joined() }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: Swift.max(0, width - count)) + self
    }
}
