import GaleJSON
import GaleProtocol
import HTTPTypes
import KubeClient

/// `GET /topology`: the graph of a namespace, or of one workload in it (seed envelope, `data`
/// `{nodes, edges}`).
struct TopologyOperations: Sendable {
    let access: ClusterAccess

    var operations: [Operation] {
        [
            Operation(.get, "/topology", role: .viewer, action: "read topologies") { input in
                try await topology(input)
            }
        ]
    }

    /// Parameters: `cluster_id`, `namespace` (required), and optionally `kind` and `name` of the
    /// one object to draw the graph around. Collections the user may not list are left out of
    /// the graph rather than failing it.
    func topology(_ input: OperationInput) async throws -> JSONValue {
        let namespace = try input.string("namespace")
        let root = try Self.root(
            kind: try input.optionalString("kind"), name: try input.optionalString("name"), namespace: namespace)
        return try await access.call(input) { record, client in
            try await SpecialOperations.requireNamespace(namespace, client: client)
            let objects = try await Self.objects(
                namespace: namespace, record: record, client: client, principal: input.principal, access: access)
            var graph = TopologyBuilder.graph(objects)
            if let root {
                guard graph.nodes[root.id] != nil else {
                    throw APIError.resourceNotFound("\(root.kind) \(namespace)/\(root.name) not found")
                }
                graph = graph.focused(on: root.id)
            }
            return graph.json
        }
    }

    /// The node id a `kind` and `name` pair names (a kind, plural or short name of the catalog).
    static func root(kind: String?, name: String?, namespace: String) throws(APIError)
        -> (id: String, kind: String, name: String)?
    {
        switch (kind, name) {
        case (nil, nil): return nil
        case (let kind?, let name?):
            guard let resource = ResourceCatalog.standard.resource(named: kind),
                TopologySources.resources.contains(where: { $0.plural == resource.plural }), resource.namespaced
            else {
                throw APIError.invalidArgument("parameter \"kind\" must name a namespaced kind of the topology")
            }
            return (TopologyGraph.Node.id(kind: resource.kind, namespace: namespace, name: name), resource.kind, name)
        default:
            throw APIError.invalidArgument("parameters \"kind\" and \"name\" go together")
        }
    }

    /// Every collection of the topology, by kind, read concurrently; those the cluster's RBAC
    /// keeps from the user are empty.
    static func objects(
        namespace: String, record: ClusterRecord, client: KubeClient, principal: Principal, access: ClusterAccess
    ) async throws -> [String: [JSONValue]] {
        let reader = ClusterObjects(access: access)
        return try await withThrowingTaskGroup(of: (String, [JSONValue]).self) { group in
            for resource in TopologySources.resources {
                group.addTask {
                    do {
                        let items = try await reader.list(
                            resource, namespace: namespace, record: record, client: client, principal: principal)
                        return (resource.kind, items)
                    } catch let error as APIError where error.code == .forbidden {
                        return (resource.kind, [])
                    }
                }
            }
            var objects: [String: [JSONValue]] = [:]
            for try await (kind, items) in group { objects[kind] = items }
            return objects
        }
    }
}
