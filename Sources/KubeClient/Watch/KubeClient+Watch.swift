import AsyncHTTPClient
import NIOHTTP1

extension KubeClient {
    /// Starts a watch (`?watch=true&allowWatchBookmarks=true`) of a resource, optionally in one namespace.
    ///
    /// Pass `options.resourceVersion` from a list to receive only later changes. Failures to start
    /// (missing namespace, forbidden, 410) are thrown here; later ones by the stream.
    public func watch(_ resource: KubeResource, namespace: String? = nil, options: ListOptions = ListOptions())
        async throws -> WatchStream
    {
        var query = options.query.filter { $0.0 != "limit" && $0.0 != "continue" }
        query.insert(("watch", "true"), at: 0)
        query.append(("allowWatchBookmarks", "true"))
        let response = try await send(
            .GET, path: resource.collectionPath(namespace: namespace), query: query, streaming: true)
        return WatchStream(body: response.body, maxLineBytes: configuration.maxWatchLineBytes)
    }
}
