/// Limits and timing of the WebSocket transport. Every value is configurable; the defaults
/// fit Kubernetes objects (a large ConfigMap or CRD is well under 4 MiB; etcd caps at 1.5 MiB).
public struct WebSocketLimits: Sendable {
    /// Largest frame payload accepted on the wire.
    public var maxFrameSize: Int
    /// Largest message accepted, after reassembly and decompression.
    public var maxMessageSize: Int
    /// Largest payload one compressed frame may inflate to.
    public var maxDecompressedSize: Int
    /// Interval of server pings; a socket that misses a pong for one interval is closed.
    public var pingInterval: Duration
    /// Whether permessage-deflate is offered.
    public var compression: Bool
    /// Requests one socket may have in flight; further frames wait to be read.
    public var maxInFlightRequests: Int
    /// Messages queued for one socket before producers wait (or, for live channels, conflate).
    public var outboundQueueCapacity: Int

    public init(
        maxFrameSize: Int = 4 << 20,
        maxMessageSize: Int = 4 << 20,
        maxDecompressedSize: Int = 4 << 20,
        pingInterval: Duration = .seconds(30),
        compression: Bool = true,
        maxInFlightRequests: Int = 64,
        outboundQueueCapacity: Int = 1024
    ) {
        self.maxFrameSize = maxFrameSize
        self.maxMessageSize = maxMessageSize
        self.maxDecompressedSize = maxDecompressedSize
        self.pingInterval = pingInterval
        self.compression = compression
        self.maxInFlightRequests = maxInFlightRequests
        self.outboundQueueCapacity = outboundQueueCapacity
    }
}
