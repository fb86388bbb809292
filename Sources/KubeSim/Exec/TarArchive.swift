import Foundation

/// ustar (POSIX.1-1988) archives, as `kubectl cp` produces and expects.
public enum TarArchive {
    /// One archive member.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var isDirectory: Bool
        public var contents: [UInt8]
        public var mode: Int
        public var modified: Date

        public init(name: String, isDirectory: Bool, contents: [UInt8] = [], mode: Int = 0o644, modified: Date = Date()) {
            self.name = name
            self.isDirectory = isDirectory
            self.contents = contents
            self.mode = mode
            self.modified = modified
        }
    }

    /// A malformed archive.
    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { "tar: \(message)" }
    }

    /// Serialises entries followed by the two zero blocks.
    public static func write(_ entries: [Entry]) -> [UInt8] {
        var output: [UInt8] = []
        for entry in entries {
            output += header(entry)
            if !entry.isDirectory {
                output += entry.contents
                output += [UInt8](repeating: 0, count: (512 - entry.contents.count % 512) % 512)
            }
        }
        output += [UInt8](repeating: 0, count: 1024)
        return output
    }

    static func octal(_ value: Int, width: Int) -> [UInt8] {
        let text = String(value, radix: 8)
        let padded = String(repeating: "0", count: max(0, width - 1 - text.count)) + text
        return Array(padded.utf8) + [0]
    }

    private static func header(_ entry: Entry) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int, max: Int) {
            for (index, byte) in bytes.prefix(max).enumerated() { block[offset + index] = byte }
        }
        var name = entry.name
        if entry.isDirectory, !name.hasSuffix("/") { name += "/" }
        var prefix = ""
        if name.utf8.count > 100, let split = splitName(name) { (prefix, name) = split }
        put(Array(name.utf8), at: 0, max: 100)
        put(octal(entry.mode & 0o7777, width: 8), at: 100, max: 8)
        put(octal(0, width: 8), at: 108, max: 8)
        put(octal(0, width: 8), at: 116, max: 8)
        put(octal(entry.isDirectory ? 0 : entry.contents.count, width: 12), at: 124, max: 12)
        put(octal(Int(entry.modified.timeIntervalSince1970), width: 12), at: 136, max: 12)
        put(Array("        ".utf8), at: 148, max: 8)
        block[156] = entry.isDirectory ? UInt8(ascii: "5") : UInt8(ascii: "0")
        put(Array("ustar".utf8) + [0], at: 257, max: 6)
        put(Array("00".utf8), at: 263, max: 2)
        put(Array("root".utf8), at: 265, max: 32)
        put(Array("root".utf8), at: 297, max: 32)
        put(Array(prefix.utf8), at: 345, max: 155)
        let checksum = block.reduce(0) { $0 + Int($1) }
        put(Array(String(format: "%06o", checksum).utf8) + [0, 0x20], at: 148, max: 8)
        return block
    }

    private static func splitName(_ name: String) -> (String, String)? {
        let bytes = Array(name.utf8)
        for index in stride(from: min(bytes.count - 1, 155), through: 1, by: -1) where bytes[index] == UInt8(ascii: "/") {
            if bytes.count - index - 1 <= 100 {
                return (String(decoding: bytes[..<index], as: UTF8.self), String(decoding: bytes[(index + 1)...], as: UTF8.self))
            }
        }
        return nil
    }

    /// Parses an archive (stops at the first zero block).
    public static func read(_ data: [UInt8]) throws -> [Entry] {
        var entries: [Entry] = []
        var offset = 0
        var longName: String?
        while offset + 512 <= data.count {
            let block = Array(data[offset..<offset + 512])
            if block.allSatisfy({ $0 == 0 }) { break }
            func string(_ start: Int, _ length: Int) -> String {
                let slice = block[start..<start + length]
                let end = slice.firstIndex(of: 0) ?? slice.endIndex
                return String(decoding: block[start..<end], as: UTF8.self)
            }
            func number(_ start: Int, _ length: Int) -> Int {
                Int(string(start, length).trimmingCharacters(in: .whitespaces), radix: 8) ?? 0
            }
            let stored = number(148, 8)
            var sum = 0
            for (index, byte) in block.enumerated() { sum += (148..<156).contains(index) ? 0x20 : Int(byte) }
            guard stored == sum else { throw FormatError(message: "checksum mismatch at offset \(offset)") }
            let size = number(124, 12)
            let type = block[156]
            var name = string(0, 100)
            let prefix = string(345, 155)
            if !prefix.isEmpty, string(257, 5) == "ustar" { name = prefix + "/" + name }
            if let pending = longName {
                name = pending
                longName = nil
            }
            let start = offset + 512
            guard start + size <= data.count else { throw FormatError(message: "unexpected end of archive") }
            let contents = Array(data[start..<start + size])
            offset = start + (size + 511) / 512 * 512
            switch type {
            case UInt8(ascii: "L"):
                longName = String(decoding: contents.prefix { $0 != 0 }, as: UTF8.self)
            case UInt8(ascii: "5"):
                entries.append(Entry(name: name, isDirectory: true, mode: number(100, 8), modified: Date(timeIntervalSince1970: Double(number(136, 12)))))
            case UInt8(ascii: "0"), 0:
                entries.append(Entry(name: name, isDirectory: false, contents: contents, mode: number(100, 8), modified: Date(timeIntervalSince1970: Double(number(136, 12)))))
            default:
                continue  // links, pax headers: skipped
            }
        }
        return entries
    }
}
