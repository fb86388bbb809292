/// How alert rules are evaluated and their webhooks called.
public struct AlertConfiguration: Sendable {
    /// Time between two evaluations of every rule. Kept below the shared watches' linger (15 s by
    /// default), so that the watches the rules read stay open between evaluations.
    public var evaluationInterval: Duration
    /// How long one webhook call may take.
    public var webhookTimeout: Duration
    /// Calls of a webhook per notification, the first included.
    public var webhookAttempts: Int
    /// Wait before the first retry; each further retry waits twice as long, up to ``webhookMaxBackoff``.
    public var webhookInitialBackoff: Duration
    public var webhookMaxBackoff: Duration
    /// Most bytes of a webhook's response read (the rest is discarded).
    public var webhookMaxResponseBytes: Int
    /// Notifications waiting for their webhook beyond which new ones are dropped (and logged).
    public var maxQueuedNotifications: Int

    public init(
        evaluationInterval: Duration = .seconds(10), webhookTimeout: Duration = .seconds(10), webhookAttempts: Int = 5,
        webhookInitialBackoff: Duration = .seconds(1), webhookMaxBackoff: Duration = .seconds(60),
        webhookMaxResponseBytes: Int = 64 << 10, maxQueuedNotifications: Int = 1000
    ) {
        self.evaluationInterval = evaluationInterval
        self.webhookTimeout = webhookTimeout
        self.webhookAttempts = max(1, webhookAttempts)
        self.webhookInitialBackoff = webhookInitialBackoff
        self.webhookMaxBackoff = webhookMaxBackoff
        self.webhookMaxResponseBytes = webhookMaxResponseBytes
        self.maxQueuedNotifications = maxQueuedNotifications
    }
}
