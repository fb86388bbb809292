import NIOHTTP1

extension KubeClient {
    /// `GET /version`: the server's `gitVersion`, `major`, `minor`, `platform`, ... `timeout`
    /// bounds the call (default: the configuration's request timeout).
    public func version(timeout: Duration? = nil) async throws -> KubeJSON {
        try await sendForJSON(.GET, path: "/version", timeout: timeout)
    }

    /// `GET` of any API path (for resources outside the catalog).
    public func get(path: String, query: [(String, String)] = []) async throws -> KubeJSON {
        try await sendForJSON(.GET, path: path, query: query)
    }

    /// Reads one object. For a namespaced resource a `nil` namespace means `default`. `timeout`
    /// bounds the call (default: the configuration's request timeout).
    public func get(_ resource: KubeResource, namespace: String?, name: String, timeout: Duration? = nil)
        async throws -> KubeJSON
    {
        try await sendForJSON(.GET, path: objectPath(resource, namespace, name), timeout: timeout)
    }

    /// Lists objects; a `nil` namespace lists across all namespaces. Returns the `...List` object
    /// (`items`, `metadata.resourceVersion`, `metadata.continue`).
    public func list(_ resource: KubeResource, namespace: String? = nil, options: ListOptions = ListOptions())
        async throws -> KubeJSON
    {
        try await sendForJSON(.GET, path: resource.collectionPath(namespace: namespace), query: options.query)
    }

    /// Creates an object (`POST`); `dryRun` validates without persisting (`dryRun=All`).
    public func create(_ resource: KubeResource, namespace: String?, object: KubeJSON, dryRun: Bool = false)
        async throws -> KubeJSON
    {
        let namespace =
            resource.namespaced ? (namespace ?? object["metadata"]?["namespace"]?.stringValue ?? "default") : nil
        return try await sendForJSON(
            .POST, path: resource.collectionPath(namespace: namespace), query: dryRunQuery(dryRun), body: object)
    }

    /// Replaces an object (`PUT`); the object must carry `metadata.resourceVersion` for optimistic concurrency.
    public func replace(
        _ resource: KubeResource, namespace: String?, name: String, object: KubeJSON, dryRun: Bool = false
    ) async throws -> KubeJSON {
        try await sendForJSON(
            .PUT, path: objectPath(resource, namespace, name), query: dryRunQuery(dryRun), body: object)
    }

    /// Patches an object or one of its subresources (`PATCH`).
    public func patch(
        _ resource: KubeResource, namespace: String?, name: String, patch: KubeJSON, type: PatchType = .merge,
        subresource: String? = nil, dryRun: Bool = false
    ) async throws -> KubeJSON {
        try await sendForJSON(
            .PATCH, path: objectPath(resource, namespace, name, subresource), query: dryRunQuery(dryRun), body: patch,
            contentType: type.contentType)
    }

    /// Deletes an object. Returns what the server answers: the object (being deleted) or a `Status`.
    @discardableResult
    public func delete(
        _ resource: KubeResource, namespace: String?, name: String, options: DeleteOptions = DeleteOptions()
    ) async throws -> KubeJSON {
        try await sendForJSON(
            .DELETE, path: objectPath(resource, namespace, name), query: dryRunQuery(options.dryRun), body: options.body
        )
    }

    /// Reads the `scale` subresource (an `autoscaling/v1` `Scale`).
    public func getScale(_ resource: KubeResource, namespace: String?, name: String) async throws -> KubeJSON {
        try await sendForJSON(.GET, path: objectPath(resource, namespace, name, "scale"))
    }

    /// Sets `spec.replicas` through the `scale` subresource, as `kubectl scale` does.
    @discardableResult
    public func updateScale(
        _ resource: KubeResource, namespace: String?, name: String, replicas: Int, dryRun: Bool = false
    ) async throws -> KubeJSON {
        try await patch(
            resource, namespace: namespace, name: name, patch: ["spec": ["replicas": .int(Int64(replicas))]],
            type: .merge, subresource: "scale", dryRun: dryRun)
    }

    /// Reads the `status` subresource.
    public func getStatus(_ resource: KubeResource, namespace: String?, name: String) async throws -> KubeJSON {
        try await sendForJSON(.GET, path: objectPath(resource, namespace, name, "status"))
    }

    /// Replaces the `status` subresource.
    public func replaceStatus(
        _ resource: KubeResource, namespace: String?, name: String, object: KubeJSON, dryRun: Bool = false
    ) async throws -> KubeJSON {
        try await sendForJSON(
            .PUT, path: objectPath(resource, namespace, name, "status"), query: dryRunQuery(dryRun), body: object)
    }

    /// Evicts a pod (`POST .../pods/NAME/eviction` with a `policy/v1` `Eviction`), honouring PodDisruptionBudgets.
    /// A budget that forbids the eviction fails with HTTP 429.
    @discardableResult
    public func evict(namespace: String, pod: String, options: DeleteOptions = DeleteOptions()) async throws -> KubeJSON
    {
        let pods = KubeResource(group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true)
        var deleteOptions = options.body
        deleteOptions["apiVersion"] = nil
        deleteOptions["kind"] = nil
        let eviction: KubeJSON = [
            "apiVersion": "policy/v1", "kind": "Eviction",
            "metadata": ["name": .string(pod), "namespace": .string(namespace)],
            "deleteOptions": deleteOptions,
        ]
        return try await sendForJSON(
            .POST, path: pods.objectPath(namespace: namespace, name: pod, subresource: "eviction"),
            query: dryRunQuery(options.dryRun), body: eviction)
    }

    /// Checks a catalog against the server's discovery documents (`/api/v1`, `/apis/GROUP/VERSION`)
    /// and returns it confirmed and updated, with a report. A group version the server lacks marks its resources missing.
    public func discoverCatalog(_ catalog: ResourceCatalog = .standard) async throws
        -> (catalog: ResourceCatalog, report: ResourceCatalog.DiscoveryReport)
    {
        var catalog = catalog
        var report = ResourceCatalog.DiscoveryReport()
        for groupVersion in catalog.groupVersions {
            let path = groupVersion.contains("/") ? "/apis/\(groupVersion)" : "/api/\(groupVersion)"
            var list: KubeJSON?
            do {
                list = try await sendForJSON(.GET, path: path)
            } catch let error as KubeError where error.isNotFound {
                list = nil
            }
            catalog.apply(discovery: list, groupVersion: groupVersion, report: &report)
        }
        return (catalog, report)
    }

    func objectPath(_ resource: KubeResource, _ namespace: String?, _ name: String, _ subresource: String? = nil)
        -> String
    {
        let namespace = resource.namespaced ? (namespace ?? "default") : nil
        return resource.objectPath(namespace: namespace, name: name, subresource: subresource)
    }

    func dryRunQuery(_ dryRun: Bool) -> [(String, String)] {
        dryRun ? [("dryRun", "All")] : []
    }
}
