import GaleJSON
import GaleProtocol
import Testing

/// Decoder rules that once slipped: each was a bug report against the wire types.
@Suite struct DecoderStrictnessTests {
    @Test func serverErrorChannelIsRangeChecked() {
        for channel: JSONValue in [0, -1, 4_294_967_296] {
            let frame: JSONValue = ["type": "error", "channel": channel, "code": 1006, "msg": "x"]
            #expect(throws: FrameError.self) { try ServerFrame(json: frame) }
        }
    }

    @Test func negativeSeqIsRejected() {
        let event: JSONValue = ["type": "event", "channel": 1, "seq": -5, "event": "LOG", "line": "x"]
        let synced: JSONValue = ["type": "synced", "channel": 1, "seq": -5]
        #expect(throws: FrameError.self) { try ServerFrame(json: event) }
        #expect(throws: FrameError.self) { try ServerFrame(json: synced) }
    }

    @Test func nullRequestBodyIsNoBody() throws {
        let frame = try ClientFrame(json: ["type": "request", "id": 1, "method": "POST", "path": "/x", "body": nil])
        #expect(frame == .request(.init(id: .number(1), method: "POST", path: "/x")))
        #expect(frame.json["body"] == nil)
    }

    @Test func lastSeqKeysNamingOneChannelTwiceAreRejected() {
        let hello: JSONValue = ["type": "hello", "lastSeq": ["1": 5, "01": 9]]
        #expect(throws: FrameError.self) { try ClientFrame(json: hello) }
        #expect(throws: FrameError.self) { try ClientFrame(json: ["type": "hello", "lastSeq": ["+1": 5]]) }
    }

    @Test func numbersBeyondDoubleRangeAreRejected() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[1e400]") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("-1e400") }
    }
}
