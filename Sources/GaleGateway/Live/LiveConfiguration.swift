/// Limits and timing of live channels. Every value is configurable; the defaults suit a browser
/// console with a few dozen channels per tab.
public struct LiveConfiguration: Sendable {
    /// Channels one session may have open at once.
    public var maxChannelsPerSession: Int
    /// How long a session whose socket closed is kept for its client to resume it.
    public var resumeWindow: Duration
    /// Frames each channel keeps for replay after a reconnect...
    public var replayFrames: Int
    /// ...and at most this many bytes of them.
    public var replayBytes: Int
    /// How long an upstream watch without subscribers stays open for the next one.
    public var watchLinger: Duration
    /// Watch changes waiting for one subscriber beyond which changes to the same object are merged.
    public var conflateAfter: Int
    /// Watch changes waiting for one subscriber beyond which it is closed with 4008 (slow consumer).
    public var maxPendingChanges: Int
    /// First and longest delay between upstream reconnection attempts (jitter added).
    public var reconnectInitialDelay: Duration
    public var reconnectMaxDelay: Duration
    /// Shortest interval a `metrics` subscription may ask for.
    public var minimumMetricsInterval: Duration
    /// An upstream watch that brings nothing — no event, no bookmark — for this long is taken for
    /// a hung apiserver: it is closed, the cluster is reported unreachable, and the watch is
    /// opened again. The apiserver sends a bookmark about once a minute (KubeSim every 5 s).
    public var watchIdleTimeout: Duration
    /// Serve the paged lists of the HTTP and `request` API from shared watches (see ``CachedLists``).
    public var cacheLists: Bool
    /// Limits of file uploads and downloads (socket and HTTP alike).
    public var files: FileTransferConfiguration

    public init(
        maxChannelsPerSession: Int = 256,
        resumeWindow: Duration = .seconds(120),
        replayFrames: Int = 2048,
        replayBytes: Int = 4 << 20,
        watchLinger: Duration = .seconds(15),
        conflateAfter: Int = 256,
        maxPendingChanges: Int = 16_384,
        reconnectInitialDelay: Duration = .milliseconds(800),
        reconnectMaxDelay: Duration = .seconds(30),
        minimumMetricsInterval: Duration = .seconds(2),
        watchIdleTimeout: Duration = .seconds(90),
        cacheLists: Bool = true,
        files: FileTransferConfiguration = .init()
    ) {
        self.maxChannelsPerSession = maxChannelsPerSession
        self.resumeWindow = resumeWindow
        self.replayFrames = replayFrames
        self.replayBytes = replayBytes
        self.watchLinger = watchLinger
        self.conflateAfter = conflateAfter
        self.maxPendingChanges = maxPendingChanges
        self.reconnectInitialDelay = reconnectInitialDelay
        self.reconnectMaxDelay = reconnectMaxDelay
        self.minimumMetricsInterval = minimumMetricsInterval
        self.watchIdleTimeout = watchIdleTimeout
        self.cacheLists = cacheLists
        self.files = files
    }

    var sharedWatch: SharedWatch.Configuration {
        var configuration = SharedWatch.Configuration()
        configuration.linger = watchLinger
        configuration.backoff = Backoff(initial: reconnectInitialDelay, maximum: reconnectMaxDelay)
        configuration.conflateAfter = conflateAfter
        configuration.mailboxLimit = maxPendingChanges
        configuration.idleTimeout = watchIdleTimeout
        return configuration
    }

    var replay: LiveSession.ReplayLimits { .init(frames: replayFrames, bytes: replayBytes) }
}
