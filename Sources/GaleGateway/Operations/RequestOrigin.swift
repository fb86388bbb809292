import Foundation
public import HTTPTypes

/// Where the client addressed the gateway: the `host[:port]` it connected to and whether it came
/// over TLS — what a URL handed back to that client (a terminal URL) must be built on.
///
/// Behind a proxy the `X-Forwarded-Host` and `X-Forwarded-Proto` headers win over the request's
/// own `Host` and scheme. Only the first value of a list is used (the one the client's own proxy
/// set), and a host with characters outside a URL authority is passed over rather than echoed.
public struct RequestOrigin: Sendable, Hashable {
    /// `host[:port]` as the client wrote it (IPv6 literals bracketed).
    public var host: String
    /// Whether the client used TLS (`https`/`wss`).
    public var secure: Bool

    public init(host: String, secure: Bool) {
        self.host = host
        self.secure = secure
    }

    /// The origin of `request`; `nil` when it names no usable host. `overTLS` says the request
    /// came over the gateway's own TLS (the HTTP/1 codec reports every request as `http`);
    /// an `X-Forwarded-Proto` from a proxy in front wins over both.
    public init?(_ request: HTTPRequest, overTLS: Bool = false) {
        let forwardedHost = request.headerFields[.xForwardedHost].flatMap(Self.firstValue)
        guard let host = [forwardedHost, request.authority].compactMap({ $0 }).first(where: Self.isAuthority) else {
            return nil
        }
        let proto = request.headerFields[.xForwardedProto].flatMap(Self.firstValue)?.lowercased()
        self.init(
            host: host, secure: proto.map { $0 == "https" || $0 == "wss" } ?? (overTLS || request.scheme == "https"))
    }

    /// `ws://host[:port]`, or `wss://…` when the client came over TLS.
    public var webSocketOrigin: String { "\(secure ? "wss" : "ws")://\(host)" }

    private static func firstValue(_ list: String) -> String? {
        let first = list.split(separator: ",", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) }
        return first.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Letters, digits and `.-_:[]` only: a host name, an IPv4 or bracketed IPv6 literal, a port.
    private static func isAuthority(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 255
            && text.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII
                    && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                        || ".-_:[]".unicodeScalars.contains(scalar))
            }
    }
}

extension HTTPField.Name {
    /// `X-Forwarded-Host`: the `Host` the client sent to the proxy in front of the gateway.
    static let xForwardedHost = HTTPField.Name("X-Forwarded-Host")!
    /// `X-Forwarded-Proto`: the scheme the client used with the proxy in front of the gateway.
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
