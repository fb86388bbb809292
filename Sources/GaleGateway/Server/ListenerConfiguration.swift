public import Foundation

/// How the gateway's port is exposed: TLS, the guard against plain-text listening on a
/// non-loopback address, and HTTP/1 timeouts. Every field has a default.
public struct ListenerConfiguration: Sendable {
    /// PEM files of the serving certificate and key, and optionally of the CAs client certificates
    /// must chain to (mutual TLS: a client without a valid certificate is refused at the handshake).
    public struct TLS: Sendable {
        public var certificateFile: URL
        public var privateKeyFile: URL
        public var clientCAFile: URL?

        public init(certificateFile: URL, privateKeyFile: URL, clientCAFile: URL? = nil) {
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
            self.clientCAFile = clientCAFile
        }
    }

    /// Serve https and wss with these files; `nil` serves plain http and ws.
    public var tls: TLS?
    /// Allows plain http on a non-loopback address.
    public var insecureListen: Bool
    /// An HTTP/1 connection with no request in flight for this long is closed; `nil` never.
    public var idleTimeout: Duration?
    /// A connection must complete its TLS handshake and its first request head within this time.
    public var headerTimeout: Duration
    /// Connections the kernel queues for the gateway to accept (`listen(2)`'s backlog; Linux caps
    /// it at `net.core.somaxconn`). When thousands of clients reconnect at once, a short queue
    /// overflows and the kernel drops their handshakes, which the clients retry only after a
    /// second or more.
    public var backlog: Int

    public init(
        tls: TLS? = nil,
        insecureListen: Bool = false,
        idleTimeout: Duration? = .seconds(60),
        headerTimeout: Duration = .seconds(10),
        backlog: Int = 4096
    ) {
        self.tls = tls
        self.insecureListen = insecureListen
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.backlog = backlog
    }

    /// Refuses plain-text listening on an address other hosts can reach, unless asked for.
    public func checkExposure(host: String) throws {
        guard tls == nil, !insecureListen, !Self.isLoopback(host) else { return }
        throw ConfigurationError(
            "refusing to serve plain http on \(host), which is reachable from other hosts: "
                + "give --tls-cert and --tls-key, listen on 127.0.0.1, or pass --insecure-listen")
    }

    /// `localhost`, `127.0.0.0/8` and `::1`.
    static func isLoopback(_ host: String) -> Bool {
        let trimmed = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if trimmed == "localhost" || trimmed == "::1" { return true }
        let octets = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
