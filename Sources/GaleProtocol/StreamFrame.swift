public import NIOCore

/// A binary WebSocket frame carrying stream bytes of a channel: `[channel][stream][bytes]`,
/// where `channel` is a big-endian `UInt32` and `stream` one byte numbered as in Kubernetes'
/// `channel.k8s.io` protocols.
public struct StreamFrame: Hashable, Sendable {
    /// Stream numbers.
    public struct Stream: RawRepresentable, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// Bytes typed by the user, client → gateway.
        public static let stdin = Stream(rawValue: 0)
        /// Process output, gateway → client.
        public static let stdout = Stream(rawValue: 1)
        /// Process error output, gateway → client.
        public static let stderr = Stream(rawValue: 2)
        /// Error/status channel of the upstream protocol (JSON `Status`), gateway → client.
        public static let status = Stream(rawValue: 3)
        /// Terminal size as JSON `{"cols":..,"rows":..}`, client → gateway.
        public static let resize = Stream(rawValue: 4)
        /// Closes the given stream (payload: one byte, the stream number), like `v5.channel.k8s.io`.
        public static let close = Stream(rawValue: 255)
    }

    /// Size of the header before the payload.
    public static let headerSize = 5

    public var channel: UInt32
    public var stream: Stream
    public var payload: ByteBuffer

    public init(channel: UInt32, stream: Stream, payload: ByteBuffer) {
        self.channel = channel
        self.stream = stream
        self.payload = payload
    }

    /// Parses a binary message; throws when it is shorter than the header or names channel 0.
    public init(buffer: ByteBuffer) throws(FrameError) {
        var buffer = buffer
        guard let channel = buffer.readInteger(endianness: .big, as: UInt32.self),
            let stream = buffer.readInteger(as: UInt8.self)
        else {
            throw FrameError("binary frame must start with a 4-byte channel and a 1-byte stream")
        }
        guard channel > 0 else { throw FrameError("binary frame names channel 0") }
        self.init(channel: channel, stream: Stream(rawValue: stream), payload: buffer)
    }

    /// The encoded frame.
    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: Self.headerSize + payload.readableBytes)
        buffer.writeInteger(channel, endianness: .big)
        buffer.writeInteger(stream.rawValue)
        buffer.writeImmutableBuffer(payload)
        return buffer
    }
}
