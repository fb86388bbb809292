import GaleJSON

/// The resources of a namespace as a graph: one node per object, one edge per relation between
/// two of them (an owner reference, a selector, a volume, a reference by name).
///
/// A value: built from objects by ``TopologyBuilder``, compared with ``TopologyChanges``.
struct TopologyGraph: Sendable, Equatable {
    /// One object.
    struct Node: Sendable, Hashable {
        /// `Kind/namespace/name` (`Kind//name` when cluster-scoped): what edges refer to.
        var id: String { Self.id(kind: kind, namespace: namespace, name: name) }
        var kind: String
        var namespace: String?
        var name: String
        var uid: String
        /// A short state for display: a pod's phase, `ready/desired` of a workload, a node's
        /// readiness, a claim's phase; empty when the kind has none.
        var status: String

        static func id(kind: String, namespace: String?, name: String) -> String {
            "\(kind)/\(namespace ?? "")/\(name)"
        }

        var json: JSONValue {
            var members: [String: JSONValue] = [
                "id": .string(id), "kind": .string(kind), "name": .string(name), "uid": .string(uid),
                "status": .string(status),
            ]
            if let namespace { members["namespace"] = .string(namespace) }
            return .object(members)
        }
    }

    /// A directed relation between two nodes, by their ids.
    struct Edge: Sendable, Hashable, Comparable {
        var from: String
        var to: String
        /// `owns` (owner reference), `selects` (a Service's selector), `endpoints` (a Service's
        /// Endpoints), `routes` (an Ingress backend), `mounts` (a Pod's claim), `bound` (a claim's
        /// volume), `uses` (a ConfigMap or Secret in volumes, env or envFrom), `scheduled` (the
        /// Pod's Node).
        var type: String

        static func < (lhs: Edge, rhs: Edge) -> Bool {
            (lhs.from, lhs.to, lhs.type) < (rhs.from, rhs.to, rhs.type)
        }

        var json: JSONValue {
            ["from": .string(from), "to": .string(to), "type": .string(type)]
        }
    }

    /// Nodes by id.
    var nodes: [String: Node] = [:]
    var edges: Set<Edge> = []

    /// The graph as the API serves it: nodes sorted by id, edges by origin, target and type.
    var json: JSONValue {
        [
            "nodes": .array(nodes.keys.sorted().map { nodes[$0]!.json }),
            "edges": .array(edges.sorted().map(\.json)),
        ]
    }

    /// The part of the graph around one object: what it leads to (following edges forwards:
    /// its ReplicaSets, Pods, their claims, volumes, ConfigMaps, Secrets and Nodes), and the
    /// Services, Endpoints and Ingresses that lead into that.
    func focused(on root: String) -> TopologyGraph {
        guard nodes[root] != nil else { return TopologyGraph() }
        var outgoing: [String: [Edge]] = [:]
        var incoming: [String: [Edge]] = [:]
        for edge in edges {
            outgoing[edge.from, default: []].append(edge)
            incoming[edge.to, default: []].append(edge)
        }
        var kept: Set<String> = [root]
        var queue = [root]
        while let id = queue.popLast() {
            for edge in outgoing[id] ?? [] where kept.insert(edge.to).inserted { queue.append(edge.to) }
        }
        let upstreamKinds: Set<String> = ["Service", "Endpoints", "Ingress"]
        queue = Array(kept)
        while let id = queue.popLast() {
            for edge in incoming[id] ?? [] where upstreamKinds.contains(nodes[edge.from]?.kind ?? "") {
                if kept.insert(edge.from).inserted { queue.append(edge.from) }
            }
        }
        // A Service that selects a focused pod also leads to its Endpoints.
        for id in kept where nodes[id]?.kind == "Service" {
            for edge in outgoing[id] ?? [] where nodes[edge.to]?.kind == "Endpoints" { kept.insert(edge.to) }
        }
        return restricted { kept.contains($0.id) }
    }

    /// The nodes `isIncluded` keeps, and the edges between two of them.
    func restricted(_ isIncluded: (Node) -> Bool) -> TopologyGraph {
        let kept = nodes.filter { isIncluded($0.value) }
        return TopologyGraph(
            nodes: kept, edges: edges.filter { kept[$0.from] != nil && kept[$0.to] != nil })
    }
}
