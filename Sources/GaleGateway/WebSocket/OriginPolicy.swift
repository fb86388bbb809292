import Foundation
import HTTPTypes
import Hummingbird

/// Which browser origins may open the gateway's sockets. A page on another site must not be able
/// to open a socket with the credentials of a user who visits it (cross-site WebSocket
/// hijacking), so `/ws` and `/ws/terminal/…` look at the `Origin` header before the upgrade.
///
/// Without an allowlist only the gateway's own origin is allowed: an `Origin` whose host and
/// port (the scheme's default port when it names none) are those of the request's `Host`.
/// Requests without `Origin` come from non-browser clients and are allowed.
struct OriginPolicy: Sendable {
    /// Allowed origins, normalized; empty: same host only.
    private let allowed: Set<String>

    /// - Parameter allowedOrigins: `scheme://host[:port]` entries (`--allowed-origin`).
    init(allowedOrigins: [String]) {
        allowed = Set(allowedOrigins.compactMap { Self.normalize($0)?.text })
    }

    /// Whether `request` may be upgraded.
    func allows(_ request: Request) -> Bool {
        allows(origin: request.headers[.origin], authority: request.head.authority)
    }

    /// Whether a request with this `Origin` header, addressed to `authority` (its `Host`), may be
    /// upgraded.
    func allows(origin: String?, authority: String?) -> Bool {
        guard let origin, Self.isBrowserOrigin(origin) else { return true }
        guard let parsed = Self.normalize(origin) else { return false }
        if !allowed.isEmpty { return allowed.contains(parsed.text) }
        guard let host = authority.flatMap({ Self.hostAndPort($0, defaultPort: parsed.defaultPort) }) else {
            return false
        }
        return host.host == parsed.host && host.port == parsed.port
    }

    /// Whether a browser could have sent this `Origin`: browsers send the origin of an http(s)
    /// page, or `null` for an opaque one (a sandboxed frame, a file). Other values (`ws://host`,
    /// which WebSocket libraries such as swift-websocket's client send) come from programs that
    /// could as well send no `Origin`, so the check — which protects browser users — lets them by.
    static func isBrowserOrigin(_ value: String) -> Bool {
        let origin = value.trimmingCharacters(in: .whitespaces).lowercased()
        return origin == "null" || origin.hasPrefix("http://") || origin.hasPrefix("https://")
    }

    private struct Origin {
        let scheme: String
        let host: String
        let port: Int
        var defaultPort: Int { scheme == "https" ? 443 : 80 }
        var text: String { "\(scheme)://\(host):\(port)" }
    }

    /// `scheme://host[:port]` of an http(s) origin, lowercased, with the port made explicit;
    /// `nil` for `null` and anything else.
    private static func normalize(_ value: String) -> Origin? {
        guard let url = URLComponents(string: value.trimmingSpaces), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty,
            url.path.isEmpty || url.path == "/", url.query == nil, url.user == nil
        else { return nil }
        let defaultPort = scheme == "https" ? 443 : 80
        return Origin(scheme: scheme, host: host.lowercased(), port: url.port ?? defaultPort)
    }

    /// Host and port of a `Host` header (IPv6 literals in brackets), the port defaulting to
    /// `defaultPort`.
    private static func hostAndPort(_ value: String, defaultPort: Int) -> (host: String, port: Int)? {
        guard let url = URLComponents(string: "http://" + value.trimmingSpaces), let host = url.host, !host.isEmpty,
            url.path.isEmpty
        else { return nil }
        return (host.lowercased(), url.port ?? defaultPort)
    }
}
