import GaleJSON
import GaleProtocol
import Testing

/// Replays `protocol/vectors/client-frames.json`.
@Suite struct ClientFrameVectorTests {
    @Test(arguments: Vectors.entries("client-frames.json", "valid"))
    func decodesAndNormalizes(_ vector: Vector) throws {
        let normalized = try #require(vector["normalized"])
        let frame = try ClientFrame(text: vector.message())
        if let json = vector.frame {
            #expect(try ClientFrame(json: json) == frame)
        }
        #expect(frame.json == normalized)
        #expect(frame.json.jsonString == normalized.jsonString)
        // Encode, parse the text back, decode again: the same frame.
        #expect(try ClientFrame(text: Array(frame.json.jsonString.utf8)) == frame)
        #expect(frame.type == normalized["type"]?.stringValue)
    }

    @Test(arguments: Vectors.entries("client-frames.json", "invalid"))
    func rejects(_ vector: Vector) throws {
        let expected = try #require(vector["error"]?.stringValue)
        let message = try vector.message()
        let error = try #require(throws: FrameError.self) { try ClientFrame(text: message) }
        #expect(error.message.contains(expected), "\(error.message)")
        #expect((error.id?.json ?? .null) == vector["id"])
        #expect(error.code == .invalidArgument)
        if let json = vector.frame {
            #expect(throws: error) { try ClientFrame(json: json) }
        }
    }
}
