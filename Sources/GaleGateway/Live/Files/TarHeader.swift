import NIOCore

/// A malformed tar stream from a container.
struct TarFormatError: Error, Sendable, CustomStringConvertible {
    let message: String
    var description: String { "tar: \(message)" }
}

/// The header of one tar member: what `tar c` in a container writes and `tar x` reads.
///
/// Encoded as ustar (POSIX.1-1988); a name or link target too long for ustar's fields goes in a
/// pax extended header before it. Decoding also takes GNU tar's long-name (`L`, `K`) members,
/// which `TarReader` folds into the header that follows them.
struct TarHeader: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case file
        case directory
        case symlink
        case hardlink
        /// A pax extended header (`x`), global pax header (`g`), GNU long name (`L`) or long link (`K`).
        case `extension`(UInt8)
        /// Devices, fifos and anything else: carried over, never extracted by a browser.
        case other(UInt8)

        var typeFlag: UInt8 {
            switch self {
            case .file: UInt8(ascii: "0")
            case .directory: UInt8(ascii: "5")
            case .symlink: UInt8(ascii: "2")
            case .hardlink: UInt8(ascii: "1")
            case .extension(let flag), .other(let flag): flag
            }
        }

        init(typeFlag: UInt8) {
            switch typeFlag {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): self = .file
            case UInt8(ascii: "5"): self = .directory
            case UInt8(ascii: "2"): self = .symlink
            case UInt8(ascii: "1"): self = .hardlink
            case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"): self = .extension(typeFlag)
            default: self = .other(typeFlag)
            }
        }
    }

    var name: String
    var kind: Kind
    /// Bytes of data after the header (0 for directories and links).
    var size: Int
    var mode: Int
    /// Seconds since 1970.
    var modified: Int
    var linkTarget: String = ""

    static let blockSize = 512
    /// A tar record: `tar x` reads its input this many bytes at a time, so an archive sent to it is
    /// padded to a whole record (as `tar c` pads it) and `tar` does not wait for more.
    static let recordSize = 20 * blockSize
    /// ustar's size field holds 11 octal digits.
    static let maxSize = (1 << 33) - 1

    /// Zero bytes that pad `size` bytes of data to a whole block.
    static func padding(after size: Int) -> Int { (blockSize - size % blockSize) % blockSize }

    // MARK: Encoding

    /// The header block, preceded by a pax extended header when the name or link target is longer
    /// than ustar holds.
    func encoded() -> ByteBuffer {
        var buffer = ByteBuffer()
        var name = kind == .directory && !self.name.hasSuffix("/") ? self.name + "/" : self.name
        var prefix = ""
        var pax: [(String, String)] = []
        if name.utf8.count > 100 {
            if let split = Self.split(name) {
                (prefix, name) = split
            } else {
                pax.append(("path", name))
                name = String(decoding: name.utf8.prefix(100), as: UTF8.self)
            }
        }
        var link = linkTarget
        if link.utf8.count > 100 {
            pax.append(("linkpath", link))
            link = String(decoding: link.utf8.prefix(100), as: UTF8.self)
        }
        if !pax.isEmpty {
            var records = ByteBuffer()
            for (key, value) in pax { records.writeBytes(Self.paxRecord(key, value)) }
            let extended = TarHeader(
                name: "PaxHeaders/" + String(decoding: name.utf8.suffix(80), as: UTF8.self), kind: .extension(UInt8(ascii: "x")),
                size: records.readableBytes, mode: 0o644, modified: modified)
            extended.writeBlock(into: &buffer, name: extended.name, prefix: "", link: "")
            buffer.writeBuffer(&records)
            buffer.writeRepeatingByte(0, count: Self.padding(after: extended.size))
        }
        writeBlock(into: &buffer, name: name, prefix: prefix, link: link)
        return buffer
    }

    private func writeBlock(into buffer: inout ByteBuffer, name: String, prefix: String, link: String) {
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        func put(_ bytes: some Collection<UInt8>, at offset: Int, width: Int) {
            for (index, byte) in bytes.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(name.utf8, at: 0, width: 100)
        put(octal(mode & 0o7777, width: 8), at: 100, width: 8)
        put(octal(0, width: 8), at: 108, width: 8)
        put(octal(0, width: 8), at: 116, width: 8)
        put(octal(size, width: 12), at: 124, width: 12)
        put(octal(max(0, modified), width: 12), at: 136, width: 12)
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148, width: 8)
        block[156] = kind.typeFlag
        put(link.utf8, at: 157, width: 100)
        put(Array("ustar".utf8) + [0, UInt8(ascii: "0"), UInt8(ascii: "0")], at: 257, width: 8)
        put(prefix.utf8, at: 345, width: 155)
        let checksum = block.reduce(0) { $0 + Int($1) }
        put(octal(checksum, width: 7) + [UInt8(ascii: " ")], at: 148, width: 8)
        buffer.writeBytes(block)
    }

    /// ustar splits a long name at a `/` into a prefix of up to 155 bytes and a name of up to 100.
    private static func split(_ path: String) -> (String, String)? {
        let bytes = Array(path.utf8)
        for index in stride(from: min(bytes.count - 1, 155), through: 1, by: -1) where bytes[index] == UInt8(ascii: "/") {
            if bytes.count - index - 1 <= 100, bytes.count - index - 1 > 0 {
                return (String(decoding: bytes[..<index], as: UTF8.self), String(decoding: bytes[(index + 1)...], as: UTF8.self))
            }
        }
        return nil
    }

    /// One pax record, `"LEN key=value\n"`, where LEN counts the whole record including itself.
    static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count != length { length += 1 }
        return Array((String(length) + body).utf8)
    }

    // MARK: Decoding

    /// Decodes a header block; `nil` for a block of zeros (the end of the archive).
    static func decode(_ block: ByteBufferView) throws(TarFormatError) -> TarHeader? {
        let bytes = Array(block)
        precondition(bytes.count == blockSize)
        if bytes.allSatisfy({ $0 == 0 }) { return nil }
        func string(_ start: Int, _ width: Int) -> String {
            let field = bytes[start..<start + width]
            return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
        }
        func number(_ start: Int, _ width: Int, _ name: String) throws(TarFormatError) -> Int {
            let field = bytes[start..<start + width]
            if let first = field.first, first & 0x80 != 0 {
                // GNU base-256 for values beyond the octal field.
                var value = Int(first & 0x3F)
                for byte in field.dropFirst() {
                    guard value < Int.max >> 9 else { throw TarFormatError(message: "\(name) is out of range") }
                    value = value << 8 | Int(byte)
                }
                return value
            }
            let text = string(start, width).trimmed(" ")
            if text.isEmpty { return 0 }
            guard let value = Int(text, radix: 8), value >= 0 else {
                throw TarFormatError(message: "\(name) field \"\(text)\" is not an octal number")
            }
            return value
        }
        let stored = try number(148, 8, "checksum")
        var sum = 0
        for (index, byte) in bytes.enumerated() { sum += (148..<156).contains(index) ? 0x20 : Int(byte) }
        guard stored == sum else { throw TarFormatError(message: "header checksum mismatch") }
        var name = string(0, 100)
        if string(257, 5) == "ustar" {
            let prefix = string(345, 155)
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        return TarHeader(
            name: name, kind: Kind(typeFlag: bytes[156]), size: try number(124, 12, "size"),
            mode: try number(100, 8, "mode"), modified: try number(136, 12, "mtime"), linkTarget: string(157, 100))
    }

    /// The records of a pax extended header's data.
    static func paxRecords(_ data: [UInt8]) throws(TarFormatError) -> [String: String] {
        var records: [String: String] = [:]
        var index = 0
        while index < data.count {
            guard let space = data[index...].firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > 0,
                index + length <= data.count, data[index + length - 1] == UInt8(ascii: "\n")
            else { throw TarFormatError(message: "malformed pax header") }
            let record = data[(space + 1)..<(index + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                records[String(decoding: record[..<equals], as: UTF8.self)] =
                    String(decoding: record[(equals + 1)...], as: UTF8.self)
            }
            index += length
        }
        return records
    }
}

extension String {
    fileprivate func trimmed(_ character: Character) -> Substring {
        var result = Substring(self)
        while result.first == character { result.removeFirst() }
        while result.last == character { result.removeLast() }
        return result
    }
}
