import GaleJSON
import HTTPTypes
import KubeClient

extension ClusterAccess {
    /// Seed §1.6: the namespaces of a cluster.
    var clusterOperations: [Operation] {
        [
            Operation(.get, "/clusters/{id}/namespaces", role: .viewer, action: "list namespaces") { input in
                let list = try await call(input) { client in
                    try await client.list(ResourceCatalog.standard.resource(named: "namespaces")!)
                }
                return .object(["namespaces": list["items"] ?? .array([])])
            }
        ]
    }
}
