import AsyncHTTPClient
import NIOHTTP1

extension KubeClient {
    /// Streams a container's log (`GET /api/v1/namespaces/NS/pods/POD/log`).
    public func logs(namespace: String, pod: String, options: LogOptions = LogOptions()) async throws -> LogStream {
        let path = "/api/v1/namespaces/\(PathComponent.escape(namespace))/pods/\(PathComponent.escape(pod))/log"
        let response = try await send(.GET, path: path, query: options.query, accept: "*/*", streaming: true)
        return LogStream(body: response.body)
    }
}
