import Testing

@testable import KubeClient

@Suite("Watch line decoding")
struct WatchLineDecoderTests {
    static let stream = TestAPIServer.watchEvents.joined(separator: "\n") + "\n"

    @Test(arguments: [1, 2, 3, 7, 13, 64, 1000])
    func anySplitGivesTheSameEvents(pieceSize: Int) throws {
        var decoder = WatchLineDecoder(maxLineBytes: 4096)
        let bytes = Array(Self.stream.utf8)
        var events: [WatchEvent] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + pieceSize, bytes.count)
            events += try decoder.feed(bytes[offset..<end])
            offset = end
        }
        #expect(try decoder.finish() == nil)
        #expect(events.map(\.type) == [.added, .modified, .bookmark, .deleted])
        #expect(events[1].object["metadata"]?["labels"]?["app"]?.stringValue == "wëb")
    }

    @Test func everySplitPointOfTwoChunks() throws {
        let bytes = Array(Self.stream.utf8)
        for split in 0...bytes.count {
            var decoder = WatchLineDecoder(maxLineBytes: 4096)
            let events = try decoder.feed(bytes[..<split]) + decoder.feed(bytes[split...])
            #expect(events.count == 4, "split at \(split)")
        }
    }

    @Test func lastLineWithoutNewlineAndBlankLines() throws {
        var decoder = WatchLineDecoder(maxLineBytes: 4096)
        let events = try decoder.feed(
            Array(("\r\n\n" + TestAPIServer.watchEvents[0] + "\n\n" + TestAPIServer.watchEvents[3]).utf8))
        #expect(events.map(\.type) == [.added])
        #expect(try decoder.finish()?.type == .deleted)
    }

    @Test func overlongLineFailsInsteadOfGrowing() throws {
        var decoder = WatchLineDecoder(maxLineBytes: 64)
        _ = try decoder.feed(Array(repeating: UInt8(ascii: "x"), count: 40))
        let error = #expect(throws: KubeError.self) {
            _ = try decoder.feed(Array(repeating: UInt8(ascii: "x"), count: 40))
        }
        #expect(error?.kind == .decoding)
    }

    @Test func goneAndOtherErrors() throws {
        var decoder = WatchLineDecoder(maxLineBytes: 4096)
        let gone =
            #"{"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old","reason":"Expired","code":410}}"#
        let error = #expect(throws: KubeError.self) { _ = try decoder.feed(Array((gone + "\n").utf8)) }
        #expect(error?.isGone == true)

        let internalError =
            #"{"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"boom","code":500}}"#
        var other = WatchLineDecoder(maxLineBytes: 4096)
        let events = try other.feed(Array((internalError + "\n").utf8))
        #expect(events.first?.type == .error)
        #expect(events.first?.object["message"] == "boom")

        var garbage = WatchLineDecoder(maxLineBytes: 4096)
        #expect(throws: KubeError.self) { _ = try garbage.feed(Array("not json\n".utf8)) }
    }
}
