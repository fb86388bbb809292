import NIOHTTP1

extension KubeClient {
    /// `metrics.k8s.io/v1beta1` `NodeMetricsList` (usage of every node), or one `NodeMetrics` when `name` is given.
    public func nodeMetrics(name: String? = nil, labelSelector: String? = nil) async throws -> KubeJSON {
        var path = "/apis/metrics.k8s.io/v1beta1/nodes"
        if let name { path += "/" + PathComponent.escape(name) }
        return try await sendForJSON(.GET, path: path, query: labelSelector.map { [("labelSelector", $0)] } ?? [])
    }

    /// `metrics.k8s.io/v1beta1` `PodMetricsList` (per-container usage) in a namespace, across all namespaces when
    /// `namespace` is `nil`, or one `PodMetrics` when `name` is given.
    public func podMetrics(namespace: String? = nil, name: String? = nil, labelSelector: String? = nil)
        async throws -> KubeJSON
    {
        var path = "/apis/metrics.k8s.io/v1beta1"
        if let namespace { path += "/namespaces/" + PathComponent.escape(namespace) }
        path += "/pods"
        if let name { path += "/" + PathComponent.escape(name) }
        return try await sendForJSON(.GET, path: path, query: labelSelector.map { [("labelSelector", $0)] } ?? [])
    }
}
