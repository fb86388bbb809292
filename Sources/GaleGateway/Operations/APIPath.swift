import Foundation
import Hummingbird
import HummingbirdCore

/// Paths of API operations, as HTTP routes and `request` frames give them.
enum APIPath {
    /// Where the API lives over HTTP.
    static let base = "/api/v1/kubernetes"

    /// Splits `"/clusters?page=2"` into the path relative to the API base and its query.
    /// A frame may give the full HTTP path; the base is then removed.
    static func split(_ target: String) -> (path: String, query: [String: String]) {
        let uri = URI(target)
        var path = uri.path
        if path == base || path.hasPrefix(base + "/") {
            path.removeFirst(base.count)
        }
        return (path.isEmpty ? "/" : path, query(uri))
    }

    /// The query parameters of `uri`, decoded as browsers and form encoders write them
    /// (`application/x-www-form-urlencoded`: `+` is a space, then percent-decoding), as the
    /// apiserver reads them; for a repeated name the last value wins. A malformed escape is
    /// kept as written, for the parameter's own check to refuse.
    static func query(_ uri: URI) -> [String: String] {
        var query: [String: String] = [:]
        for pair in (uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = formDecoded(parts[0])
            guard !name.isEmpty else { continue }
            query[name] = parts.count > 1 ? formDecoded(parts[1]) : ""
        }
        return query
    }

    private static func formDecoded(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
