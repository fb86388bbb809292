/// The recent frames of one channel, kept so that a client that reconnects can be sent exactly
/// what it missed.
///
/// Bounded by a number of frames and a number of bytes; the oldest go first. Every `event`
/// frame is stored with its `seq`; the frames between events (`synced`, `resync`) are stored with
/// the `seq` of the event before them, so a replay after `seq` n resends them too.
///
/// An event of the fan-out path is kept as its shared ``EncodedMembers`` — one copy for every
/// channel the change went to — and its frame is rebuilt around them on replay: a change watched
/// by a thousand sessions costs a thousand references in their rings, not a thousand frames.
/// Byte bounds count the whole frame all the same, so they bound what a replay sends.
struct ReplayRing: Sendable {
    private enum Frame: Sendable {
        case text(String)
        case shared(EncodedMembers)
    }

    private struct Entry: Sendable {
        let seq: UInt64
        let isEvent: Bool
        let frame: Frame
        let byteCount: Int
    }

    /// The channel whose frames these are (shared events are rebuilt with its number).
    let channel: UInt32
    let maxFrames: Int
    let maxBytes: Int
    private var entries: [Entry] = []
    private var head = 0
    private var bytes = 0
    /// Bytes of the frames kept.
    var byteCount: Int { bytes }
    /// The newest frame evicted so far (eviction is oldest first): whoever needs it or anything
    /// before it cannot be replayed.
    private var lastEvicted: (seq: UInt64, isEvent: Bool)?

    init(channel: UInt32 = 0, maxFrames: Int, maxBytes: Int) {
        self.channel = channel
        self.maxFrames = max(1, maxFrames)
        self.maxBytes = max(1, maxBytes)
    }

    /// Stores a frame; `seq` is the event's own, or for other frames the last event's.
    mutating func append(text: String, seq: UInt64, isEvent: Bool) {
        append(Entry(seq: seq, isEvent: isEvent, frame: .text(text), byteCount: text.utf8.count))
    }

    /// Stores event `seq` of the fan-out path by its shared members.
    mutating func append(members: EncodedMembers, seq: UInt64) {
        let byteCount = EncodedMembers.eventFrameSize(channel: channel, seq: seq, members: members)
        append(Entry(seq: seq, isEvent: true, frame: .shared(members), byteCount: byteCount))
    }

    private mutating func append(_ entry: Entry) {
        entries.append(entry)
        bytes += entry.byteCount
        while entries.count - head > maxFrames || (bytes > maxBytes && entries.count - head > 1) {
            let evicted = entries[head]
            head += 1
            bytes -= evicted.byteCount
            lastEvicted = (evicted.seq, evicted.isEvent)
        }
        if head > 256, head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }

    /// The frames a client that processed every event up to `seq` has not seen, in order; `nil`
    /// when some of them are no longer here (the client needs a resync).
    func frames(after seq: UInt64, current: UInt64) -> [String]? {
        guard seq <= current else { return nil }
        // A frame with a later seq, or a non-event frame sent after event `seq`, is gone.
        if let lastEvicted, lastEvicted.seq > seq || (lastEvicted.seq == seq && !lastEvicted.isEvent) { return nil }
        var result: [String] = []
        // Past event `seq` already when it is the start, or when it was evicted (with nothing after it).
        var passed = seq == 0 || (lastEvicted.map { $0.seq == seq } ?? false)
        for entry in entries[head...] {
            if passed || entry.seq > seq {
                result.append(text(of: entry))
            } else if entry.isEvent, entry.seq == seq {
                passed = true
            }
        }
        return result
    }

    private func text(of entry: Entry) -> String {
        switch entry.frame {
        case .text(let text): text
        case .shared(let members): members.eventFrame(channel: channel, seq: entry.seq).text
        }
    }
}
