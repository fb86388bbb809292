import CKubeSimZlib
import Foundation

/// SPDY/3 name/value header blocks: a 32-bit count, then each name and value with a 32-bit length, the whole
/// block compressed with zlib over one stream per direction for the life of the connection, primed with the
/// dictionary of the SPDY/3 specification (section 2.6.10.1). One codec per connection, used by one task.
final class SPDYHeaderCodec {
    /// A header block that cannot be read.
    struct Failure: Error, CustomStringConvertible, Equatable {
        let description: String
    }

    /// Largest decompressed header block accepted (a compressed block could otherwise expand without bound).
    static let maxBlockBytes = 64 << 10

    private let inflater: UnsafeMutablePointer<z_stream>
    private let deflater: UnsafeMutablePointer<z_stream>

    init() {
        // zlib keeps a pointer back to its stream: the streams live at fixed addresses, freed in deinit.
        inflater = .allocate(capacity: 1)
        inflater.initialize(to: z_stream())
        deflater = .allocate(capacity: 1)
        deflater.initialize(to: z_stream())
        _ = ckubesim_inflate_init(inflater)
        _ = ckubesim_deflate_init(deflater, Z_DEFAULT_COMPRESSION)
        Self.dictionary.withUnsafeBufferPointer { dictionary in
            _ = deflateSetDictionary(deflater, dictionary.baseAddress, uInt(dictionary.count))
        }
    }

    deinit {
        inflateEnd(inflater)
        deflateEnd(deflater)
        inflater.deallocate()
        deflater.deallocate()
    }

    /// The headers of a compressed block, names lowercase, multi-values (NUL-separated) split.
    func decode(_ block: [UInt8]) throws(Failure) -> [String: [String]] {
        try Self.parse(try inflate(block))
    }

    /// A compressed block carrying `headers`.
    func encode(_ headers: [(String, String)]) -> [UInt8] {
        deflate(Self.serialize(headers))
    }

    static func serialize(_ headers: [(String, String)]) -> [UInt8] {
        var bytes = SPDYFrame.word(UInt32(headers.count))
        for (name, value) in headers {
            let name = Array(name.lowercased().utf8)
            let value = Array(value.utf8)
            bytes += SPDYFrame.word(UInt32(name.count)) + name + SPDYFrame.word(UInt32(value.count)) + value
        }
        return bytes
    }

    static func parse(_ bytes: [UInt8]) throws(Failure) -> [String: [String]] {
        var offset = 0
        func word() throws(Failure) -> Int {
            guard offset + 4 <= bytes.count else { throw Failure(description: "header block ends inside a length") }
            defer { offset += 4 }
            return Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        }
        func string() throws(Failure) -> String {
            let length = try word()
            guard length <= bytes.count - offset else { throw Failure(description: "header of \(length) bytes overruns its block") }
            defer { offset += length }
            return String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
        }
        let count = try word()
        guard count <= bytes.count / 8 else { throw Failure(description: "header block claims \(count) headers") }
        var headers: [String: [String]] = [:]
        for _ in 0..<count {
            let name = try string().lowercased()
            guard !name.isEmpty else { throw Failure(description: "header with an empty name") }
            headers[name, default: []] += try string().split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
        }
        return headers
    }

    private func inflate(_ block: [UInt8]) throws(Failure) -> [UInt8] {
        guard !block.isEmpty else { throw Failure(description: "empty header block") }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var input = block
        let stream = inflater
        var failure: Failure?
        input.withUnsafeMutableBufferPointer { input in
            stream.pointee.next_in = input.baseAddress
            stream.pointee.avail_in = uInt(input.count)
            while failure == nil {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { chunk in
                    stream.pointee.next_out = chunk.baseAddress
                    stream.pointee.avail_out = uInt(chunk.count)
                    var status = CKubeSimZlib.inflate(stream, Z_SYNC_FLUSH)
                    if status == Z_NEED_DICT {
                        status = Self.dictionary.withUnsafeBufferPointer { dictionary in
                            inflateSetDictionary(stream, dictionary.baseAddress, uInt(dictionary.count))
                        }
                        if status == Z_OK { status = CKubeSimZlib.inflate(stream, Z_SYNC_FLUSH) }
                    }
                    return (status, chunk.count - Int(stream.pointee.avail_out))
                }
                output += chunk[0..<produced]
                if output.count > Self.maxBlockBytes {
                    failure = Failure(description: "header block expands past \(Self.maxBlockBytes) bytes")
                } else if status == Z_BUF_ERROR || (status == Z_OK && stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0) {
                    break
                } else if status != Z_OK {
                    failure = Failure(description: "header block is not valid zlib data (\(status))")
                }
            }
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        if let failure { throw failure }
        return output
    }

    private func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var input = bytes
        let stream = deflater
        input.withUnsafeMutableBufferPointer { input in
            stream.pointee.next_in = input.baseAddress
            stream.pointee.avail_in = uInt(input.count)
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { chunk in
                    stream.pointee.next_out = chunk.baseAddress
                    stream.pointee.avail_out = uInt(chunk.count)
                    _ = CKubeSimZlib.deflate(stream, Z_SYNC_FLUSH)
                    return chunk.count - Int(stream.pointee.avail_out)
                }
                output += chunk[0..<produced]
            } while stream.pointee.avail_out == 0
            stream.pointee.next_in = nil
        }
        return output
    }

    /// The SPDY/3 header compression dictionary, 1,423 bytes (Adler-32 0xE3C6A7C2), base64 here for brevity.
    static let dictionary: [UInt8] = Array(
        Data(base64Encoded: [
        "AAAAB29wdGlvbnMAAAAEaGVhZAAAAARwb3N0AAAAA3B1dAAAAAZkZWxldGUAAAAFdHJhY2UAAAAGYWNjZXB0AAAADmFjY2VwdC1j",
        "aGFyc2V0AAAAD2FjY2VwdC1lbmNvZGluZwAAAA9hY2NlcHQtbGFuZ3VhZ2UAAAANYWNjZXB0LXJhbmdlcwAAAANhZ2UAAAAFYWxs",
        "b3cAAAANYXV0aG9yaXphdGlvbgAAAA1jYWNoZS1jb250cm9sAAAACmNvbm5lY3Rpb24AAAAMY29udGVudC1iYXNlAAAAEGNvbnRl",
        "bnQtZW5jb2RpbmcAAAAQY29udGVudC1sYW5ndWFnZQAAAA5jb250ZW50LWxlbmd0aAAAABBjb250ZW50LWxvY2F0aW9uAAAAC2Nv",
        "bnRlbnQtbWQ1AAAADWNvbnRlbnQtcmFuZ2UAAAAMY29udGVudC10eXBlAAAABGRhdGUAAAAEZXRhZwAAAAZleHBlY3QAAAAHZXhw",
        "aXJlcwAAAARmcm9tAAAABGhvc3QAAAAIaWYtbWF0Y2gAAAARaWYtbW9kaWZpZWQtc2luY2UAAAANaWYtbm9uZS1tYXRjaAAAAAhp",
        "Zi1yYW5nZQAAABNpZi11bm1vZGlmaWVkLXNpbmNlAAAADWxhc3QtbW9kaWZpZWQAAAAIbG9jYXRpb24AAAAMbWF4LWZvcndhcmRz",
        "AAAABnByYWdtYQAAABJwcm94eS1hdXRoZW50aWNhdGUAAAATcHJveHktYXV0aG9yaXphdGlvbgAAAAVyYW5nZQAAAAdyZWZlcmVy",
        "AAAAC3JldHJ5LWFmdGVyAAAABnNlcnZlcgAAAAJ0ZQAAAAd0cmFpbGVyAAAAEXRyYW5zZmVyLWVuY29kaW5nAAAAB3VwZ3JhZGUA",
        "AAAKdXNlci1hZ2VudAAAAAR2YXJ5AAAAA3ZpYQAAAAd3YXJuaW5nAAAAEHd3dy1hdXRoZW50aWNhdGUAAAAGbWV0aG9kAAAAA2dl",
        "dAAAAAZzdGF0dXMAAAAGMjAwIE9LAAAAB3ZlcnNpb24AAAAISFRUUC8xLjEAAAADdXJsAAAABnB1YmxpYwAAAApzZXQtY29va2ll",
        "AAAACmtlZXAtYWxpdmUAAAAGb3JpZ2luMTAwMTAxMjAxMjAyMjA1MjA2MzAwMzAyMzAzMzA0MzA1MzA2MzA3NDAyNDA1NDA2NDA3",
        "NDA4NDA5NDEwNDExNDEyNDEzNDE0NDE1NDE2NDE3NTAyNTA0NTA1MjAzIE5vbi1BdXRob3JpdGF0aXZlIEluZm9ybWF0aW9uMjA0",
        "IE5vIENvbnRlbnQzMDEgTW92ZWQgUGVybWFuZW50bHk0MDAgQmFkIFJlcXVlc3Q0MDEgVW5hdXRob3JpemVkNDAzIEZvcmJpZGRl",
        "bjQwNCBOb3QgRm91bmQ1MDAgSW50ZXJuYWwgU2VydmVyIEVycm9yNTAxIE5vdCBJbXBsZW1lbnRlZDUwMyBTZXJ2aWNlIFVuYXZh",
        "aWxhYmxlSmFuIEZlYiBNYXIgQXByIE1heSBKdW4gSnVsIEF1ZyBTZXB0IE9jdCBOb3YgRGVjIDAwOjAwOjAwIE1vbiwgVHVlLCBX",
        "ZWQsIFRodSwgRnJpLCBTYXQsIFN1biwgR01UY2h1bmtlZCx0ZXh0L2h0bWwsaW1hZ2UvcG5nLGltYWdlL2pwZyxpbWFnZS9naWYs",
        "YXBwbGljYXRpb24veG1sLGFwcGxpY2F0aW9uL3hodG1sK3htbCx0ZXh0L3BsYWluLHRleHQvamF2YXNjcmlwdCxwdWJsaWNwcml2",
        "YXRlbWF4LWFnZT1nemlwLGRlZmxhdGUsc2RjaGNoYXJzZXQ9dXRmLThjaGFyc2V0PWlzby04ODU5LTEsdXRmLSwqLGVucT0wLg==",        ].joined())!)
}
