import NIOCore

/// Finds the benchmark's markers (`"bench-i":"17"`) in received frames without parsing the JSON,
/// so that the clients stay cheap next to the server they measure.
enum Marker {
    static let index = Array(#""bench-i":""#.utf8)
    static let time = Array(#""bench-ts":""#.utf8)
    static let synced = Array(#""type":"synced""#.utf8)

    /// The decimal number right after `marker` in `buffer`; `nil` when the marker is absent.
    static func number(after marker: [UInt8], in buffer: ByteBuffer) -> UInt64? {
        buffer.withUnsafeReadableBytes { bytes -> UInt64? in
            guard let base = bytes.baseAddress else { return nil }
            return marker.withUnsafeBytes { needle -> UInt64? in
                guard let found = find(needle, in: bytes) else { return nil }
                var offset = found + needle.count
                var value: UInt64 = 0
                var digits = 0
                while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 {
                    value = value &* 10 &+ UInt64(bytes[offset] - 0x30)
                    offset += 1
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
        }
    }

    static func contains(_ marker: [UInt8], in buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { bytes -> Bool in
            guard let base = bytes.baseAddress else { return false }
            _ = base
            return marker.withUnsafeBytes { needle in find(needle, in: bytes) != nil }
        }
    }

    /// How many times `marker` occurs in `buffer` (the items of an `events` frame, say).
    static func count(_ marker: [UInt8], in buffer: ByteBuffer) -> Int {
        buffer.withUnsafeReadableBytes { bytes -> Int in
            marker.withUnsafeBytes { needle -> Int in
                var count = 0
                var start = 0
                while start < bytes.count,
                    let found = find(needle, in: UnsafeRawBufferPointer(rebasing: bytes[start...]))
                {
                    count += 1
                    start += found + needle.count
                }
                return count
            }
        }
    }

    /// Offset of the first occurrence of `needle` in `haystack`.
    private static func find(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer) -> Int? {
        guard let first = needle.first, needle.count <= haystack.count else { return nil }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var matched = 1
                while matched < needle.count, haystack[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return index }
            }
            index += 1
        }
        return nil
    }
}
