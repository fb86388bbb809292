import GaleProtocol
import HTTPTypes

/// Where a client may put its JWT: the `Authorization` header; on WebSocket upgrades also the
/// `access_token` query parameter or — for browsers, which cannot set headers on a WebSocket —
/// a `bearer.<token>` entry in `Sec-WebSocket-Protocol`.
enum BearerToken {
    static let subprotocolPrefix = "bearer."

    /// The token of an HTTP API request: the `Authorization` header only. A token in the query
    /// (which ends up in logs and browser history) is refused with 2001, even beside a header.
    static func forHTTP(headers: HTTPFields, query: [String: String]) throws(APIError) -> String? {
        guard query["access_token"] == nil else {
            throw APIError(.unauthenticated, "send the token in the Authorization header, not in the query")
        }
        return find(headers: headers, query: [:])
    }

    /// The token of a WebSocket upgrade, looking at the header, then the subprotocols, then the query.
    static func find(headers: HTTPFields, query: [String: String]) -> String? {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return String(parts[1]).trimmingSpaces
            }
        }
        for offered in subprotocols(headers) where offered.hasPrefix(subprotocolPrefix) {
            return String(offered.dropFirst(subprotocolPrefix.count))
        }
        return query["access_token"]
    }

    /// The entries of `Sec-WebSocket-Protocol`, in the client's order.
    static func subprotocols(_ headers: HTTPFields) -> [String] {
        headers[values: .secWebSocketProtocol]
            .flatMap { $0.split(separator: ",") }
            .map { String($0).trimmingSpaces }
            .filter { !$0.isEmpty }
    }
}

extension String {
    var trimmingSpaces: String {
        var view = Substring(self)
        while view.first == " " || view.first == "\t" { view = view.dropFirst() }
        while view.last == " " || view.last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
