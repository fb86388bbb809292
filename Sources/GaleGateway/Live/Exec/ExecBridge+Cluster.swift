import GaleProtocol
import KubeClient

extension ExecBridge {
    /// Opens `target` on cluster `cluster` for `principal`, the way every operation reaches a
    /// cluster: scope check first (1005, without telling whether the cluster exists), then the
    /// registry (1002), the cached connection state (1006), and the exec itself with its failure
    /// mapped onto the seed codes (a missing pod 1004, a refused exec 1001, unreachable 1006).
    /// The role is the caller's business: terminals need `operator`.
    static func open(
        access: ClusterAccess, principal: Principal, cluster: String, target: Target,
        configuration: Configuration = .init()
    ) async throws(APIError) -> ExecBridge {
        let record: ClusterRecord
        let client: KubeClient
        do {
            record = try await access.registry.record(cluster, for: principal)
            client = try await access.connections.client(for: record, as: principal)
        } catch let error as APIError {
            throw error
        } catch {
            throw .internalError
        }
        do {
            return try await open(client: client, target: target, configuration: configuration)
        } catch let error as KubeError {
            if error.isUnreachable {
                await access.connections.markUnreachable(record.id, reason: error.message)
            }
            // A refused upgrade is a bad request (no such container, pod not running): the caller's
            // parameters rather than a failure of the cluster.
            if error.code == 400 { throw .invalidArgument(error.message) }
            throw APIError(error, verb: .read)
        } catch {
            throw APIError(.clusterUnreachable, "the exec connection failed: \(APIError.reason(of: error))")
        }
    }
}
