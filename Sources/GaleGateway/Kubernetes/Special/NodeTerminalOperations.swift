import GaleJSON
import HTTPTypes
import KubeClient
import Logging

/// Seed §7.8: a shell on a node, through a debug pod (see ``NodeDebugPod``).
struct NodeTerminalOperations: Sendable {
    let access: ClusterAccess
    let terminals: TerminalTickets
    /// `ws://HOST:PORT`, the origin of terminal URLs when the request does not tell its own.
    let webSocketOrigin: String
    let configuration: TerminalConfiguration

    private static let nodes = ResourceCatalog.standard.resource(named: "nodes")!

    var operations: [Operation] {
        [Operation(.get, "/nodes/{name}/terminal", role: .admin, action: "open node terminals", handler: terminal)]
    }

    /// Starts a debug pod on the node, waits until it runs, and answers a one-time terminal ticket
    /// for it like `GET /pods/{name}/terminal` does (`terminal_url`, `terminal_path`, `token`,
    /// `expires_in`, `container`), plus `node`, `namespace` and `pod`. The pod is deleted when the
    /// terminal socket closes, or when the ticket expires unused. A missing node answers 1004.
    @Sendable func terminal(_ input: OperationInput) async throws -> JSONValue {
        let node = try input.string("name")
        let clusterID = try input.optionalString("cluster_id") ?? input.string("id")
        let record = try await access.registry.record(clusterID, for: input.principal)
        // A privileged pod with the node's root file system: the cluster's admin must have asked for it.
        guard record.settings.nodeTerminal else {
            throw APIError.forbidden(
                "node terminals are off for cluster \(record.id); an admin can enable them with node_terminal=true")
        }
        let namespace = configuration.nodeDebugNamespace
        let pod = try await access.call(input, verb: .create) { client in
            _ = try await client.get(Self.nodes, namespace: nil, name: node)
            return try await NodeDebugPod.start(
                node: node, namespace: namespace, image: configuration.nodeDebugImage,
                subject: input.principal.subject, timeout: configuration.nodeDebugStartTimeout, client: client)
        }
        let ticket = terminals.issue(
            for: input.principal, clusterID: record.id, namespace: namespace, pod: pod,
            container: NodeDebugPod.container, command: NodeDebugPod.command, deletesPod: true)
        input.logger.info(
            "node debug pod started", metadata: ["cluster.id": "\(record.id)", "node": "\(node)", "pod": "\(pod)"])
        deleteIfUnused(ticket, logger: input.logger)
        var answer = terminals.links(ticket: ticket, origin: PodOperations.origin(input, fallback: webSocketOrigin))
        answer["container"] = .string(NodeDebugPod.container)
        answer["node"] = .string(node)
        answer["namespace"] = .string(namespace)
        answer["pod"] = .string(pod)
        return .object(answer)
    }

    /// Deletes the debug pod of `ticket` once the ticket has expired without being used.
    private func deleteIfUnused(_ ticket: String, logger: Logger) {
        let terminals = self.terminals
        let access = self.access
        // Unstructured task: it must outlive the request that issued the ticket. It holds no
        // socket or lock — it sleeps for the ticket's lifetime, then deletes the pod only if
        // nobody consumed the ticket (the terminal socket deletes it otherwise).
        Task {
            try? await Task.sleep(for: terminals.lifetime + .milliseconds(500))
            guard let unused = await terminals.retire(ticket) else { return }
            await NodeDebugPod.delete(unused, access: access, logger: logger)
        }
    }
}
