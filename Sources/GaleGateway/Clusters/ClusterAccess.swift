import GaleJSON
import KubeClient

/// How an operation reaches the cluster it names: scope check, registry lookup, cached
/// connection state, then the call itself with its failure mapped to a seed code.
struct ClusterAccess: Sendable {
    let registry: ClusterRegistry
    let connections: ClusterConnections
    /// Lists served from shared watches; `nil` lists from the apiserver every time.
    var lists: CachedLists? = nil

    /// Runs `body` with the client of the cluster named by `cluster_id` (or the path's `id`).
    func call<T: Sendable>(
        _ input: OperationInput,
        verb: APIError.KubeVerb = .read,
        _ body: @Sendable (KubeClient) async throws -> T
    ) async throws -> T {
        try await call(input, verb: verb) { _, client in try await body(client) }
    }

    /// Like ``call(_:verb:_:)``, giving `body` the cluster's registry record too.
    func call<T: Sendable>(
        _ input: OperationInput,
        verb: APIError.KubeVerb = .read,
        _ body: @Sendable (ClusterRecord, KubeClient) async throws -> T
    ) async throws -> T {
        guard let id = try input.optionalString("cluster_id") ?? input.pathParameters["id"] else {
            throw APIError.invalidArgument("missing parameter \"cluster_id\"")
        }
        let record = try await registry.record(id, for: input.principal)
        let client = try await connections.client(for: record, as: input.principal)
        do {
            return try await body(record, client)
        } catch let error as KubeError {
            if error.isUnreachable {
                await connections.markUnreachable(record.id, reason: error.message)
            }
            throw APIError(error, verb: verb)
        }
    }
}
