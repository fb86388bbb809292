import GaleJSON
import GaleProtocol
import Testing

/// Replays `protocol/vectors/server-frames.json`.
@Suite struct ServerFrameVectorTests {
    @Test(arguments: Vectors.entries("server-frames.json", "valid"))
    func decodesAndNormalizes(_ vector: Vector) throws {
        let json = try #require(vector.frame)
        let normalized = try #require(vector["normalized"])
        let frame = try ServerFrame(json: json)
        #expect(try ServerFrame(text: vector.message()) == frame)
        #expect(frame.json == normalized)
        #expect(frame.text == normalized.jsonString)
        #expect(try ServerFrame(text: Array(frame.text.utf8)) == frame)
        #expect(frame.type == normalized["type"]?.stringValue)
    }

    @Test(arguments: Vectors.entries("server-frames.json", "invalid"))
    func rejects(_ vector: Vector) throws {
        let expected = try #require(vector["error"]?.stringValue)
        let message = try vector.message()
        let error = try #require(throws: FrameError.self) { try ServerFrame(text: message) }
        #expect(error.message.contains(expected), "\(error.message)")
        #expect((error.id?.json ?? .null) == vector["id"])
        if let json = vector.frame {
            #expect(throws: error) { try ServerFrame(json: json) }
        }
    }
}
