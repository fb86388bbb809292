/// Who may open sockets and how much one user may hold open: the browser origins allowed to
/// connect, and per-subject and gateway-wide quotas. Every field has a default.
public struct WebSocketSecurity: Sendable {
    /// Browser origins (`scheme://host[:port]`) allowed on `/ws` and `/ws/terminal/…`. Empty:
    /// only the origin of the gateway itself (the request's `Host`). Requests without an `Origin`
    /// header (non-browser clients) are not affected.
    public var allowedOrigins: [String]
    /// Sockets (sessions and terminals) one subject may have open.
    public var maxSocketsPerSubject: Int
    /// Sockets open on the gateway, all subjects together.
    public var maxSockets: Int
    /// Channels one subject may have open, over all its sessions.
    public var maxChannelsPerSubject: Int
    /// Log streams (log channels and HTTP log follows) one subject may have open.
    public var maxLogStreamsPerSubject: Int
    /// Exec channels and terminals one subject may have open.
    public var maxExecsPerSubject: Int
    /// Bytes queued for one socket before its channels wait (beside the frame bound).
    public var maxQueuedBytes: Int
    /// Sessions kept without a socket for resume; past it the longest-detached go first.
    public var maxDetachedSessions: Int
    /// Replay bytes all detached sessions may hold together; past it the longest-detached go first.
    public var maxDetachedBytes: Int

    public init(
        allowedOrigins: [String] = [],
        maxSocketsPerSubject: Int = 64,
        maxSockets: Int = 10_000,
        maxChannelsPerSubject: Int = 256,
        maxLogStreamsPerSubject: Int = 32,
        maxExecsPerSubject: Int = 16,
        maxQueuedBytes: Int = 4 << 20,
        maxDetachedSessions: Int = 1000,
        maxDetachedBytes: Int = 256 << 20
    ) {
        self.allowedOrigins = allowedOrigins
        self.maxSocketsPerSubject = maxSocketsPerSubject
        self.maxSockets = maxSockets
        self.maxChannelsPerSubject = maxChannelsPerSubject
        self.maxLogStreamsPerSubject = maxLogStreamsPerSubject
        self.maxExecsPerSubject = maxExecsPerSubject
        self.maxQueuedBytes = maxQueuedBytes
        self.maxDetachedSessions = maxDetachedSessions
        self.maxDetachedBytes = maxDetachedBytes
    }
}
