import GaleJSON

/// What turns one ``TopologyGraph`` into another: the nodes and edges added, removed and (for
/// nodes) updated. A pure function of the two graphs.
struct TopologyChanges: Sendable, Equatable {
    var addedNodes: [TopologyGraph.Node] = []
    var updatedNodes: [TopologyGraph.Node] = []
    /// Ids of the nodes removed.
    var removedNodes: [String] = []
    var addedEdges: [TopologyGraph.Edge] = []
    var removedEdges: [TopologyGraph.Edge] = []

    /// The changes from `old` to `new`, each list in a stable order (nodes by id, edges sorted).
    init(from old: TopologyGraph, to new: TopologyGraph) {
        for id in new.nodes.keys.sorted() {
            let node = new.nodes[id]!
            switch old.nodes[id] {
            case nil: addedNodes.append(node)
            case let previous? where previous != node: updatedNodes.append(node)
            default: break
            }
        }
        removedNodes = old.nodes.keys.filter { new.nodes[$0] == nil }.sorted()
        addedEdges = new.edges.subtracting(old.edges).sorted()
        removedEdges = old.edges.subtracting(new.edges).sorted()
    }

    var isEmpty: Bool {
        addedNodes.isEmpty && updatedNodes.isEmpty && removedNodes.isEmpty && addedEdges.isEmpty && removedEdges.isEmpty
    }

    /// The members of a `CHANGED` event of a `topology` channel.
    var fields: [String: JSONValue] {
        [
            "nodesAdded": .array(addedNodes.map(\.json)),
            "nodesUpdated": .array(updatedNodes.map(\.json)),
            "nodesRemoved": .array(removedNodes.map(JSONValue.string)),
            "edgesAdded": .array(addedEdges.map(\.json)),
            "edgesRemoved": .array(removedEdges.map(\.json)),
        ]
    }
}
