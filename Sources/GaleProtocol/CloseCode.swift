/// WebSocket close codes the gateway sends, beyond those of RFC 6455.
///
/// RFC 6455 §7.4.2 leaves 4000–4999 to applications; these are documented in `protocol/SPEC.md`.
public enum CloseCode {
    /// 1000 — normal closure.
    public static let normal: UInt16 = 1000
    /// 1001 — the gateway is shutting down (clients should reconnect, possibly elsewhere).
    public static let goingAway: UInt16 = 1001
    /// 1008 — policy violation.
    public static let policyViolation: UInt16 = 1008
    /// 1009 — a frame, message or decompressed message exceeded the configured limit.
    public static let messageTooBig: UInt16 = 1009
    /// 1013 — try again later: the gateway has as many sockets open as it allows.
    public static let tryAgainLater: UInt16 = 1013
    /// 4001 — the socket presented no valid credentials (code 2001).
    public static let unauthenticated: UInt16 = 4001
    /// 4002 — the socket's token expired (code 2002); reconnect with a fresh token.
    public static let tokenExpired: UInt16 = 4002
    /// 4008 — the client could not keep up and its outbound queue overflowed; resume to catch up.
    public static let slowConsumer: UInt16 = 4008
}
