import Foundation
import Synchronization
import Testing

@testable import KubeSim

/// The SPDY/3.1 pieces of port-forward on their own: frames, header blocks (zlib with the SPDY dictionary, as
/// Go's framer writes them) and the pairing of error and data streams.
struct SPDYTests {
    /// Two header blocks of one zlib stream, compressed at level 9 with the SPDY/3 dictionary and sync-flushed
    /// (how kubectl's framer writes the error and data streams of request 0 for port 80).
    static let kubectlBlocks = [
        "ePnjxqfCAiU6cDorKUpNzIUWJaypoICGFMtFoCTMZGEAJDmLIJGYCUrcjAYAAAAA//8=",
        "wqoVVAolEtIJAAAA//8=",
    ].map { Array(Data(base64Encoded: $0)!) }

    @Test func headerBlocksCompressedWithTheDictionaryDecode() throws {
        let codec = SPDYHeaderCodec()
        #expect(try codec.decode(Self.kubectlBlocks[0]) == ["streamtype": ["error"], "port": ["80"], "requestid": ["0"]])
        #expect(try codec.decode(Self.kubectlBlocks[1]) == ["streamtype": ["data"], "port": ["80"], "requestid": ["0"]])
    }

    @Test func headerBlocksRoundTripOverOneStream() throws {
        let writer = SPDYHeaderCodec()
        let reader = SPDYHeaderCodec()
        for index in 0..<5 {
            let block = writer.encode([("Port", "80"), ("requestid", "\(index)"), ("multi", "a\u{0}b")])
            #expect(try reader.decode(block) == ["port": ["80"], "requestid": ["\(index)"], "multi": ["a", "b"]])
        }
        #expect(try reader.decode(writer.encode([])) == [:])
    }

    @Test func hostileHeaderBlocksAreRefused() {
        #expect(throws: SPDYHeaderCodec.Failure.self) { try SPDYHeaderCodec().decode([1, 2, 3, 4, 5]) }
        #expect(throws: SPDYHeaderCodec.Failure.self) { try SPDYHeaderCodec().decode([]) }
        // A count far beyond the block, a length past its end, an empty name.
        #expect(throws: SPDYHeaderCodec.Failure.self) { try SPDYHeaderCodec.parse([0xFF, 0xFF, 0xFF, 0xFF]) }
        #expect(throws: SPDYHeaderCodec.Failure.self) { try SPDYHeaderCodec.parse([0, 0, 0, 1, 0, 0, 0, 9, 0x61, 0, 0, 0, 0]) }
        #expect(throws: SPDYHeaderCodec.Failure.self) { try SPDYHeaderCodec.parse([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]) }
        // A block that inflates past the limit (a zip bomb) is cut off.
        let bomb = SPDYHeaderCodec().encode([("x", String(repeating: "a", count: SPDYHeaderCodec.maxBlockBytes + 10))])
        #expect(throws: SPDYHeaderCodec.Failure.self) { try SPDYHeaderCodec().decode(bomb) }
    }

    @Test func framesSplitAnywhereDecodeWhole() throws {
        let frames: [SPDYFrame] = [
            .synStream(streamID: 1, fin: false, headerBlock: [1, 2, 3]), .synReply(streamID: 1, fin: false, headerBlock: [9]),
            .data(streamID: 3, fin: true, payload: Array("payload".utf8)), .data(streamID: 5, fin: false, payload: []),
            .rstStream(streamID: 3, status: SPDYFrame.ResetStatus.cancel), .ping(id: 7), .goAway(lastGoodStreamID: 5, status: 0),
        ]
        let wire = frames.flatMap(\.encoded)
        for step in [1, 3, 8, wire.count] {
            var decoder = SPDYFrameDecoder()
            var decoded: [SPDYFrame] = []
            for start in stride(from: 0, to: wire.count, by: step) {
                decoder.append(wire[start..<min(start + step, wire.count)])
                while let frame = try decoder.next() { decoded.append(frame) }
            }
            #expect(decoded == frames, "split every \(step) bytes")
        }
        var settings = SPDYFrameDecoder()
        settings.append([0x80, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 0])
        #expect(try settings.next() == .ignored(type: 4))
    }

    @Test func hostileFramesAreRefused() {
        let attacks: [[UInt8]] = [
            [0x80, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00],  // SPDY/2
            [0x00, 0x00, 0x00, 0x01, 0x00, 0xFF, 0xFF, 0xFF],  // 16 MiB of data
            [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],  // data on stream 0
            [0x80, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0, 0],  // a SYN_STREAM too short for its ids
            [0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x02, 0, 0],  // a PING of 2 bytes
            [0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1],  // a RST_STREAM without status
        ]
        for attack in attacks {
            var decoder = SPDYFrameDecoder()
            decoder.append(attack)
            #expect(throws: SPDYFrameDecoder.Failure.self, "\(attack)") { try decoder.next() }
        }
    }

    @Test func streamsPairByRequestID() {
        var table = PortForwardStreams()
        let error = table.opened(1, headers: ["streamtype": ["error"], "port": ["80"], "requestid": ["0"]])
        #expect(error.count == 1)
        let data = table.opened(3, headers: ["streamtype": ["data"], "port": ["80"], "requestid": ["0"]])
        guard data.count == 2, case .reply(3) = data[0], case .start(let pair) = data[1] else {
            Issue.record("the data stream must start the forwarding: \(data)")
            return
        }
        #expect(pair.errorStream == 1 && pair.dataStream == 3 && pair.port == 80)
        // Without request ids, the data stream follows its error stream (ids n and n+2).
        _ = table.opened(5, headers: ["streamtype": ["error"], "port": ["8080"]])
        let legacy = table.opened(7, headers: ["streamtype": ["data"], "port": ["8080"]])
        #expect(legacy.contains { if case .start(let pair) = $0 { return pair.errorStream == 5 } else { return false } })
    }

    @Test func unusableStreamsAreRefused() {
        var table = PortForwardStreams()
        for headers: [String: [String]] in [
            [:], ["streamtype": ["control"], "port": ["80"]], ["streamtype": ["data"]], ["streamtype": ["data"], "port": ["http"]],
            ["streamtype": ["data"], "port": ["0"]], ["streamtype": ["data"], "port": ["70000"]],
        ] {
            let actions = table.opened(9, headers: headers)
            #expect(actions.count == 1)
            if case .refuse = actions.first {} else { Issue.record("\(headers) must be refused") }
        }
        _ = table.opened(11, headers: ["streamtype": ["error"], "port": ["80"], "requestid": ["1"]])
        let duplicate = table.opened(13, headers: ["streamtype": ["error"], "port": ["80"], "requestid": ["1"]])
        if case .refuse = duplicate.first {} else { Issue.record("a second error stream for one request must be refused") }
        let otherPort = table.opened(15, headers: ["streamtype": ["data"], "port": ["81"], "requestid": ["1"]])
        if case .refuse = otherPort.first {} else { Issue.record("a data stream for another port must be refused") }
    }

    @Test func listenerAnswersHTTPAndEchoesTheRest() async {
        let listener = SimulatedListener(namespace: "demo", pod: "web-1", container: "nginx", port: 80)
        let http = InputPipe()
        http.push(Array("GET /a<b> HTTP/1.1\r\nHost: x\r\n".utf8))
        http.push(Array("\r\n".utf8))
        let page = Mutex<[UInt8]>([])
        await listener.serve(input: http) { bytes in page.withLock { $0 += bytes } }
        let text = String(decoding: page.withLock { $0 }, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.contains("Hello from demo/web-1"))
        #expect(text.contains("GET /a&lt;b&gt;"))
        let echo = InputPipe()
        echo.push(Array("PING\r\n".utf8))
        echo.push([0, 1, 2])
        echo.close()
        let echoed = Mutex<[UInt8]>([])
        await listener.serve(input: echo) { bytes in echoed.withLock { $0 += bytes } }
        #expect(echoed.withLock { $0 } == Array("PING\r\n".utf8) + [0, 1, 2])
        let huge = InputPipe()
        huge.push(Array("GET / HTTP/1.1\r\n".utf8) + [UInt8](repeating: 0x61, count: SimulatedListener.maxHeadBytes + 1))
        let refused = Mutex<[UInt8]>([])
        await listener.serve(input: huge) { bytes in refused.withLock { $0 += bytes } }
        #expect(String(decoding: refused.withLock { $0 }, as: UTF8.self).hasPrefix("HTTP/1.1 431"))
    }
}
