/// Cuts a log's byte stream into lines, keeping apart the complete lines (ended by a newline)
/// from a fragment the stream stopped in the middle of.
///
/// A connection cut mid-line leaves such a fragment; the follower drops it when it reconnects
/// (the next connection sends the whole line again) and keeps it only when the log really ended
/// there. A line longer than `maxLineBytes` keeps its first `maxLineBytes` (timestamp included);
/// the rest up to its newline is dropped, so memory stays bounded whatever the container writes.
struct LogLineSplitter: Sendable {
    /// Longest line kept, in bytes.
    let maxLineBytes: Int
    private var pending: [UInt8] = []
    /// The pending line reached `maxLineBytes`: bytes up to the next newline are dropped.
    private var overlong = false

    init(maxLineBytes: Int) {
        self.maxLineBytes = max(64, maxLineBytes)
    }

    /// The lines `chunk` completes, without their newlines, in order.
    mutating func split(_ chunk: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
            append(chunk[start..<newline])
            lines.append(pending)
            pending = []
            overlong = false
            start = newline + 1
        }
        append(chunk[start...])
        return lines
    }

    /// What the stream ended with after its last newline, if anything; clears it.
    mutating func takeFragment() -> [UInt8]? {
        defer {
            pending = []
            overlong = false
        }
        return pending.isEmpty ? nil : pending
    }

    private mutating func append(_ bytes: ArraySlice<UInt8>) {
        guard !overlong else { return }
        let room = maxLineBytes - pending.count
        if bytes.count > room {
            pending.append(contentsOf: bytes.prefix(room))
            overlong = true
        } else {
            pending.append(contentsOf: bytes)
        }
    }
}
