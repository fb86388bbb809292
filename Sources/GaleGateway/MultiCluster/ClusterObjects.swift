import GaleJSON
import KubeClient

/// Reads every object of a collection of one cluster for a user: from the shared watches'
/// caches when they may serve it (``CachedLists``, which asks the cluster's RBAC first), else from
/// the apiserver with the user's own identity. Objects come sorted by namespace and name, Secrets
/// without values where the user may not read them.
struct ClusterObjects: Sendable {
    let access: ClusterAccess

    func list(
        _ resource: KubeResource, namespace: String?, labelSelector: String? = nil, fieldSelector: String? = nil,
        record: ClusterRecord, client: KubeClient, principal: Principal
    ) async throws -> [JSONValue] {
        let redacts =
            resource.plural == "secrets" && resource.group.isEmpty
            && SecretRedaction.applies(
                to: principal, impersonated: access.connections.identity(of: principal, on: record) != nil)
        let namespace = resource.namespaced ? namespace : nil
        let key = WatchKey(
            cluster: record.id, resource: resource.plural, namespace: namespace, name: nil,
            labelSelector: labelSelector, fieldSelector: fieldSelector, redactsSecretData: redacts)
        if let cached = try await access.lists?.objects(key, of: resource, for: principal, on: record) {
            return cached
        }
        var items: [JSONValue]
        do {
            items =
                try await client.list(
                    resource, namespace: namespace,
                    options: ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector)
                )["items"]?.arrayValue ?? []
        } catch let error as KubeError {
            if error.isUnreachable { await access.connections.markUnreachable(record.id, reason: error.message) }
            throw APIError(error, verb: .read)
        }
        items.sort { WatchChange.key(of: $0) < WatchChange.key(of: $1) }
        return redacts ? items.map(SecretRedaction.redacted) : items
    }
}
