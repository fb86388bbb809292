import Foundation
import GaleJSON
import GaleProtocol
import Testing

@testable import GaleGateway

/// The parts of live channels that need no cluster: replay rings, mailboxes, backoff, encoding.
struct LiveUnitTests {
    static func configMap(_ name: String, _ version: Int) -> JSONValue {
        ["kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "demo", "resourceVersion": .string(String(version))]]
    }

    @Test("A ring replays what follows a seq, including non-event frames after it, and refuses gaps")
    func replayRing() {
        var ring = ReplayRing(maxFrames: 4, maxBytes: 1 << 20)
        ring.append(text: "e1", seq: 1, isEvent: true)
        ring.append(text: "synced", seq: 1, isEvent: false)
        ring.append(text: "e2", seq: 2, isEvent: true)
        #expect(ring.frames(after: 0, current: 2) == ["e1", "synced", "e2"])
        #expect(ring.frames(after: 1, current: 2) == ["synced", "e2"])
        #expect(ring.frames(after: 2, current: 2) == [])
        #expect(ring.frames(after: 3, current: 2) == nil)
        ring.append(text: "e3", seq: 3, isEvent: true)
        ring.append(text: "e4", seq: 4, isEvent: true)  // evicts e1
        #expect(ring.frames(after: 0, current: 4) == nil)
        #expect(ring.frames(after: 1, current: 4) == ["synced", "e2", "e3", "e4"])
        ring.append(text: "e5", seq: 5, isEvent: true)  // evicts "synced", sent after e1
        #expect(ring.frames(after: 1, current: 5) == nil)
        #expect(ring.frames(after: 2, current: 5) == ["e3", "e4", "e5"])
    }

    @Test("A ring keeps fan-out events by their shared members and replays the very frames sent, bounded by their whole size")
    func replayRingSharedEvents() throws {
        let members = EncodedMembers(#""event":"ADDED","object":{"kind":"ConfigMap"},"resourceVersion":"7""#)
        for (channel, seq) in [(UInt32(1), UInt64(0)), (9, 9), (10, 10), (4_294_967_295, 18_446_744_073_709_551_615)] {
            let frame = members.eventFrame(channel: channel, seq: seq)
            #expect(EncodedMembers.eventFrameSize(channel: channel, seq: seq, members: members) == frame.text.utf8.count)
            #expect(frame.text == frame.prefix + members.text + frame.suffix)
            let parsed = try JSONValue(parsing: Array(frame.text.utf8))
            #expect(parsed["channel"]?.intValue == Int64(channel) && parsed["type"]?.stringValue == "event")
        }

        let size = EncodedMembers.eventFrameSize(channel: 3, seq: 1, members: members)
        var ring = ReplayRing(channel: 3, maxFrames: 100, maxBytes: 2 * size + 20)
        ring.append(members: members, seq: 1)
        ring.append(text: "synced", seq: 1, isEvent: false)
        ring.append(members: members, seq: 2)
        #expect(ring.byteCount == 2 * size + 6)
        #expect(
            ring.frames(after: 0, current: 2) == [
                members.eventFrame(channel: 3, seq: 1).text, "synced", members.eventFrame(channel: 3, seq: 2).text,
            ])
        // The third event does not fit beside the first: the oldest go until it does.
        ring.append(members: members, seq: 3)
        #expect(ring.frames(after: 0, current: 3) == nil)
        #expect(ring.frames(after: 2, current: 3) == [members.eventFrame(channel: 3, seq: 3).text])
    }

    @Test("A lagging mailbox merges changes per object; the latest state always arrives")
    func mailboxConflation() async {
        let mailbox = WatchMailbox(conflateAfter: 2, limit: 10)
        mailbox.put(.change(WatchChange(.added, Self.configMap("a", 1))))
        mailbox.put(.change(WatchChange(.added, Self.configMap("b", 2))))
        // Two waiting: from now on changes to a waiting object are merged.
        mailbox.put(.change(WatchChange(.modified, Self.configMap("a", 3))))
        mailbox.put(.change(WatchChange(.deleted, Self.configMap("b", 4))))
        mailbox.put(.change(WatchChange(.added, Self.configMap("c", 5))))
        mailbox.put(.change(WatchChange(.modified, Self.configMap("c", 6))))
        var seen: [String] = []
        while mailbox.count > 0, case .change(let change)? = await mailbox.next() {
            seen.append("\(change.kind.rawValue) \(change.key) \(change.resourceVersion)")
        }
        #expect(seen == ["ADDED demo/a 3", "ADDED demo/c 6"])
        #expect(!mailbox.isOverflowed)
    }

    @Test("A drained mailbox gives back the room of a burst")
    func mailboxReleasesBurstCapacity() async {
        let mailbox = WatchMailbox(conflateAfter: 5000, limit: 10000)
        for index in 0..<2000 { mailbox.put(.change(WatchChange(.added, Self.configMap("o\(index)", index)))) }
        #expect(mailbox.reservedCapacity >= 2000)
        var drained = 0
        while mailbox.count > 0, await mailbox.next() != nil { drained += 1 }
        #expect(drained == 2000)
        #expect(mailbox.reservedCapacity <= WatchMailbox.keptCapacity)
        // A small backlog keeps its room: steady traffic does not reallocate.
        for index in 0..<10 { mailbox.put(.change(WatchChange(.modified, Self.configMap("o\(index)", 3000 + index)))) }
        let small = mailbox.reservedCapacity
        while mailbox.count > 0, await mailbox.next() != nil {}
        #expect(mailbox.reservedCapacity == small)
    }

    @Test("A mailbox past its limit is overflowed and ends")
    func mailboxOverflow() async {
        let mailbox = WatchMailbox(conflateAfter: 2, limit: 4)
        for index in 0..<5 { mailbox.put(.change(WatchChange(.added, Self.configMap("o\(index)", index)))) }
        #expect(mailbox.isOverflowed)
        #expect(await mailbox.next() == nil)
    }

    @Test("The fan-out encoding of an event is the frame the protocol defines")
    func encodedEventFrame() throws {
        let change = WatchChange(.modified, Self.configMap("a", 7))
        let text = #"{"channel":9,\#(change.encoded.text),"seq":3,"type":"event"}"#
        let decoded = try ServerFrame(text: Array(text.utf8))
        let expected = ServerFrame.event(
            .init(channel: 9, seq: 3, event: "MODIFIED", fields: ["object": change.object, "resourceVersion": "7"]))
        #expect(decoded == expected)
        #expect(text == expected.text)
    }

    @Test("Backoff doubles from its initial delay up to its maximum, with jitter, and resets")
    func backoff() {
        var backoff = Backoff(initial: .milliseconds(800), maximum: .seconds(30), jitter: 1.0)
        let delays = (0..<10).map { _ in backoff.next() }
        #expect(delays[0] >= .milliseconds(800) && delays[0] <= .milliseconds(1600))
        #expect(delays[1] >= .milliseconds(1600))
        #expect(delays.allSatisfy { $0 <= .seconds(30) })
        #expect(delays.last == .seconds(30))
        backoff.reset()
        #expect(backoff.next() <= .milliseconds(1600))
    }

    @Test("Relisting after 410 yields exactly the difference")
    func relistDifference() {
        let old = ["demo/a": Self.configMap("a", 1), "demo/b": Self.configMap("b", 2), "demo/c": Self.configMap("c", 3)]
        let new = ["demo/a": Self.configMap("a", 1), "demo/b": Self.configMap("b", 5), "demo/d": Self.configMap("d", 6)]
        let changes = SharedWatch.difference(from: old, to: new).map { "\($0.kind.rawValue) \($0.key)" }
        #expect(changes == ["MODIFIED demo/b", "ADDED demo/d", "DELETED demo/c"])
    }
}
