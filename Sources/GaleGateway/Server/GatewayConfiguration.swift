public import Foundation
public import KubeClient

/// Everything a gateway needs to start. Every field has a default suitable for a laptop.
public struct GatewayConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on; 0 picks a free one (reported through `onListening`).
    public var port: Int
    /// Directory for the SQLite registry and generated secrets.
    public var dataDirectory: URL
    /// HS256 secret for JWTs; `nil` reads or creates `jwt-secret` in the data directory.
    public var jwtSecret: String?
    /// PEM public key: tokens signed RS256 by its private key are accepted too.
    public var jwtPublicKeyPEM: String?
    /// Base64 AES-256 key sealing kubeconfigs; `nil` reads or creates `seal.key` in the data directory.
    public var sealKey: String?
    /// WebSocket limits and timing.
    public var webSocket: WebSocketLimits
    /// Largest HTTP request body accepted.
    public var maxBodySize: Int
    /// Adds `/ws/echo`, an authenticated echo over the `/ws` transport configuration, for
    /// conformance suites. Off unless asked for.
    public var diagnosticEcho: Bool
    /// How often every registered cluster is probed for reachability.
    public var probeInterval: Duration
    /// Terminal sockets (idle timeout) and node terminals' debug pods.
    public var terminal: TerminalConfiguration
    /// Live channels: limits, resume window, upstream reconnection.
    public var live: LiveConfiguration
    /// HTTP status of API errors: each code's own (the default) or always 200.
    public var errorHTTPStatus: ErrorHTTPStatus
    /// The web console at `/`.
    public var console: ConsoleConfiguration
    /// Allowed browser origins and per-subject socket, channel and stream quotas.
    public var webSocketSecurity = WebSocketSecurity()
    /// JWT checks (issuer, audience, leeway), claim mapping, JWKS and the longest minted lifetime.
    public var jwt = TokenAuthority.Configuration()
    /// TLS, the plain-text guard for non-loopback addresses, and HTTP/1 timeouts.
    public var listener = ListenerConfiguration()
    /// What registered kubeconfigs may ask of this host: no exec plugins, files or unverified
    /// transport unless the operator opts in.
    public var kubeconfigPolicy: KubeconfigPolicy = .untrusted
    /// Users impersonated upstream, and how their subscriptions to shared watches are authorized.
    public var impersonation = ImpersonationConfiguration()
    /// Where the registry lives: SQLite in the data directory (the default, one process) or a
    /// PostgreSQL database that several replicas share.
    public var database: DatabaseLocation = .embedded
    /// How long graceful shutdown answers `/readyz` with 503 before closing sockets with 1001, so
    /// that a load balancer stops sending new clients first.
    public var drainDelay: Duration = .zero
    /// How often memory the allocator holds free is given back to the system (glibc's
    /// `malloc_trim`), so that resident memory follows what is in use; `nil` never.
    public var memoryTrimInterval: Duration? = .seconds(30)
    /// Alert rules: how often they are evaluated, and how their webhooks are called.
    public var alerts = AlertConfiguration()
    /// Automation tasks: whether this gateway runs them, and their alert cooldown and log retention.
    public var automation = AutomationConfiguration()

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        dataDirectory: URL = URL(fileURLWithPath: "data"),
        jwtSecret: String? = nil,
        jwtPublicKeyPEM: String? = nil,
        sealKey: String? = nil,
        webSocket: WebSocketLimits = .init(),
        maxBodySize: Int = 4 << 20,
        diagnosticEcho: Bool = false,
        probeInterval: Duration = .seconds(10),
        terminal: TerminalConfiguration = .init(),
        live: LiveConfiguration = .init(),
        errorHTTPStatus: ErrorHTTPStatus = .mapped,
        console: ConsoleConfiguration = .init()
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.jwtSecret = jwtSecret
        self.jwtPublicKeyPEM = jwtPublicKeyPEM
        self.sealKey = sealKey
        self.webSocket = webSocket
        self.maxBodySize = maxBodySize
        self.diagnosticEcho = diagnosticEcho
        self.probeInterval = probeInterval
        self.terminal = terminal
        self.live = live
        self.errorHTTPStatus = errorHTTPStatus
        self.console = console
    }
}
