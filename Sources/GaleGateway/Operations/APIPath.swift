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

    /// The query parameters of `uri`, percent-decoded; for a repeated name the last value wins.
    static func query(_ uri: URI) -> [String: String] {
        var query: [String: String] = [:]
        for (name, value) in uri.queryParameters {
            query[String(name)] = String(value)
        }
        return query
    }
}
