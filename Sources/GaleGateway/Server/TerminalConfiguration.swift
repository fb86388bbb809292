/// Terminal sockets (`/ws/terminal/{ticket}`, exec channels) and the debug pods of node terminals.
public struct TerminalConfiguration: Sendable {
    /// A terminal with neither input nor output for this long is closed (its process ends with
    /// it); `nil` never closes an idle terminal. WebSocket pings do not count as activity.
    public var idleTimeout: Duration?
    /// Namespace node debug pods are created in.
    public var nodeDebugNamespace: String
    /// Image of node debug pods; it needs `sh`.
    public var nodeDebugImage: String
    /// How long `GET /nodes/{name}/terminal` waits for its debug pod to run (1006 after that).
    public var nodeDebugStartTimeout: Duration

    public init(
        idleTimeout: Duration? = .seconds(30 * 60),
        nodeDebugNamespace: String = "kube-system",
        nodeDebugImage: String = "busybox:1.36",
        nodeDebugStartTimeout: Duration = .seconds(60)
    ) {
        self.idleTimeout = idleTimeout
        self.nodeDebugNamespace = nodeDebugNamespace
        self.nodeDebugImage = nodeDebugImage
        self.nodeDebugStartTimeout = nodeDebugStartTimeout
    }
}
