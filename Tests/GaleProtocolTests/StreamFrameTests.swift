import GaleJSON
import GaleProtocol
import NIOCore
import Testing

/// Replays `protocol/vectors/stream-frames.json` and checks the codec's edges.
@Suite struct StreamFrameTests {
    @Test(arguments: Vectors.entries("stream-frames.json", "valid"))
    func decodesAndEncodes(_ vector: Vector) throws {
        let bytes = try vector.message()
        let frame = try StreamFrame(buffer: ByteBuffer(bytes: bytes))
        #expect(Int64(frame.channel) == vector["channel"]?.intValue)
        #expect(Int64(frame.stream.rawValue) == vector["stream"]?.intValue)
        #expect(Array(frame.payload.readableBytesView).hex == vector["payloadHex"]?.stringValue)

        let payload = try [UInt8](hex: #require(vector["payloadHex"]?.stringValue))
        let built = StreamFrame(
            channel: frame.channel, stream: frame.stream, payload: ByteBuffer(bytes: payload)
        )
        #expect(Array(built.encoded().readableBytesView) == bytes)
        #expect(built == frame)
    }

    @Test(arguments: Vectors.entries("stream-frames.json", "invalid"))
    func rejects(_ vector: Vector) throws {
        let expected = try #require(vector["error"]?.stringValue)
        let buffer = ByteBuffer(bytes: try vector.message())
        let error = try #require(throws: FrameError.self) { try StreamFrame(buffer: buffer) }
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(error.code == .invalidArgument)
        #expect(error.id == nil)
    }

    @Test func streamNumbersMatchTheSpec() {
        let streams: [(StreamFrame.Stream, UInt8)] = [
            (.stdin, 0), (.stdout, 1), (.stderr, 2), (.status, 3), (.resize, 4), (.close, 255),
        ]
        for (stream, number) in streams {
            #expect(stream.rawValue == number)
        }
        #expect(StreamFrame.headerSize == 5)
    }

    @Test func decodesFromTheReaderIndexWithoutConsumingTheCallersBuffer() throws {
        var buffer = ByteBuffer(bytes: [0xAA, 0xBB, 0x00, 0x00, 0x00, 0x02, 0x01, 0x68, 0x69])
        buffer.moveReaderIndex(forwardBy: 2)
        let frame = try StreamFrame(buffer: buffer)
        #expect(frame.channel == 2)
        #expect(frame.stream == .stdout)
        #expect(Array(frame.payload.readableBytesView) == Array("hi".utf8))
        #expect(buffer.readableBytes == 7)
    }

    @Test func encodesOnlyThePayloadsReadableBytes() {
        var payload = ByteBuffer(bytes: [0x01, 0x02, 0x03])
        payload.moveReaderIndex(forwardBy: 1)
        let frame = StreamFrame(channel: 0x0102_0304, stream: .stdin, payload: payload)
        #expect(Array(frame.encoded().readableBytesView) == [0x01, 0x02, 0x03, 0x04, 0x00, 0x02, 0x03])
    }

    @Test func roundTripsALargePayload() throws {
        let payload = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let frame = StreamFrame(channel: 9, stream: .stdout, payload: ByteBuffer(bytes: payload))
        let encoded = frame.encoded()
        #expect(encoded.readableBytes == StreamFrame.headerSize + payload.count)
        #expect(try StreamFrame(buffer: encoded) == frame)
    }
}
