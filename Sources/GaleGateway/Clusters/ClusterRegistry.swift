public import Foundation
public import GaleJSON
import HTTPTypes
public import KubeClient
public import Logging

/// The cluster registry (seed §1.1–1.5): validation, sealing and scope rules over a
/// ``ClusterStore``.
public struct ClusterRegistry: Sendable {
    public let store: any ClusterStore
    let sealer: KubeconfigSealer
    /// What a registered kubeconfig may ask of the gateway host: nothing beyond the document by default.
    public let policy: KubeconfigPolicy

    /// Longest cluster name accepted (a DNS subdomain, as Kubernetes names are).
    static let maxNameLength = 253
    /// Largest kubeconfig accepted; real ones with embedded certificates are a few KiB.
    static let maxKubeconfigBytes = 1 << 20

    public init(store: any ClusterStore, sealer: KubeconfigSealer, policy: KubeconfigPolicy = .untrusted) {
        self.store = store
        self.sealer = sealer
        self.policy = policy
    }

    /// The operations of the registry; registering or changing a cluster probes it through
    /// `connections`, deleting one closes its connection.
    func operations(connections: ClusterConnections, confirmations: ConfirmationGate) -> [Operation] {
        [
            Operation(.get, "/clusters", role: .viewer, action: "list clusters", handler: list),
            Operation(.get, "/clusters/{id}", role: .viewer, action: "read clusters", handler: detail),
            Operation(.post, "/clusters", role: .admin, action: "register clusters") { input in
                // A new cluster's id is not in anyone's list yet: only an admin of every cluster may add one.
                guard input.principal.clusters == .all else {
                    throw APIError.forbidden("registering clusters needs a token scoped to every cluster")
                }
                return try await create(input, connections: connections)
            },
            Operation(.put, "/clusters/{id}", role: .admin, action: "update clusters") { input in
                try await update(input, connections: connections, confirmations: confirmations)
            },
            Operation(.delete, "/clusters/{id}", role: .admin, action: "delete clusters") { input in
                try await delete(input, connections: connections, confirmations: confirmations)
            },
        ]
    }

    /// The record of a cluster the principal may see; 1005 outside its scope, 1002 when missing.
    public func record(_ id: String, for principal: Principal) async throws -> ClusterRecord {
        try principal.requireAccess(cluster: id)
        guard let number = Int64(id), let record = try await store.get(id: number) else { throw APIError.clusterNotFound(id) }
        return record
    }

    /// The plain kubeconfig of a cluster, for the Kubernetes layer only; never for a response or a log.
    public func kubeconfig(of record: ClusterRecord) throws -> String {
        try sealer.open(record.sealedKubeconfig)
    }

    @Sendable func list(_ input: OperationInput) async throws -> JSONValue {
        let paging = try input.paging()
        let ids: Set<Int64>? =
            switch input.principal.clusters {
            case .all: nil
            case .only(let keys): Set(keys.compactMap { Int64($0) })
            }
        let (records, total) = try await store.list(
            keyword: try input.optionalString("keyword"),
            ids: ids,
            offset: paging.offset,
            limit: paging.pageSize
        )
        var data = paging.envelope(items: records.map(\.json), total: total)
        // The seed's §1.1 example names the array `list`; the paging format names it `items`. Both.
        if case .object(var members) = data {
            members["list"] = members["items"]
            data = .object(members)
        }
        return data
    }

    @Sendable func detail(_ input: OperationInput) async throws -> JSONValue {
        try await record(try input.string("id"), for: input.principal).json
    }

    func create(_ input: OperationInput, connections: ClusterConnections) async throws -> JSONValue {
        let record = try await register(
            name: try input.string("name"),
            description: try input.optionalString("description") ?? "",
            kubeconfig: try input.string("kubeconfig"),
            settings: ClusterSettings(
                impersonate: try input.optionalBool("impersonate") ?? true,
                nodeTerminal: try input.optionalBool("node_terminal") ?? false),
            connections: connections
        )
        input.logger.info("cluster registered", metadata: ["cluster.id": "\(record.id)", "cluster.name": "\(record.name)"])
        return record.json
    }

    /// Validates, seals, stores and probes a new cluster: the one path for every registration.
    func register(
        name: String,
        description: String,
        kubeconfig: String,
        settings: ClusterSettings = ClusterSettings(),
        connections: ClusterConnections
    ) async throws -> ClusterRecord {
        let name = try validName(name)
        let kubeconfig = try validKubeconfig(kubeconfig)
        do {
            let record = try await store.insert(
                name: name,
                description: description,
                sealedKubeconfig: try sealer.seal(kubeconfig),
                settings: settings
            )
            return try await probed(record, connections: connections)
        } catch let error as ClusterStoreError {
            throw APIError.invalidArgument(error.description)
        }
    }

    /// Replaces the kubeconfig of a cluster and probes it again.
    func replaceKubeconfig(
        of id: Int64,
        with kubeconfig: String,
        connections: ClusterConnections
    ) async throws -> ClusterRecord? {
        let sealed = try sealer.seal(try validKubeconfig(kubeconfig))
        guard let updated = try await store.update(id: id, changes: ClusterChanges(sealedKubeconfig: sealed)) else {
            return nil
        }
        return try await probed(updated, connections: connections)
    }

    func update(_ input: OperationInput, connections: ClusterConnections, confirmations: ConfirmationGate)
        async throws -> JSONValue
    {
        let id = try input.string("id")
        let existing = try await record(id, for: input.principal)
        var changes = ClusterChanges()
        changes.name = try input.optionalString("name").map { name throws(APIError) in try validName(name) }
        changes.description = try input.optionalString("description")
        if let kubeconfig = try input.optionalString("kubeconfig") {
            changes.sealedKubeconfig = try sealer.seal(try validKubeconfig(kubeconfig))
        }
        changes.impersonate = try input.optionalBool("impersonate")
        changes.nodeTerminal = try input.optionalBool("node_terminal")
        guard !changes.isEmpty else {
            throw APIError.invalidArgument(
                "nothing to update: give name, description, kubeconfig, impersonate or node_terminal")
        }
        try await confirmations.require(input, operation: "PUT /clusters/\(id)", target: Self.target(existing)) {
            var fields: [JSONValue] = []
            if changes.name != nil { fields.append("name") }
            if changes.description != nil { fields.append("description") }
            if changes.sealedKubeconfig != nil { fields.append("kubeconfig") }
            if changes.impersonate != nil { fields.append("impersonate") }
            if changes.nodeTerminal != nil { fields.append("node_terminal") }
            return ["cluster": existing.json, "changes": .array(fields)]
        }
        do {
            guard let updated = try await store.update(id: existing.id, changes: changes) else {
                throw APIError.clusterNotFound(id)
            }
            input.logger.info("cluster updated", metadata: ["cluster.id": "\(id)"])
            guard changes.sealedKubeconfig != nil else { return updated.json }
            return try await probed(updated, connections: connections).json
        } catch let error as ClusterStoreError {
            throw APIError.invalidArgument(error.description)
        }
    }

    func delete(_ input: OperationInput, connections: ClusterConnections, confirmations: ConfirmationGate)
        async throws -> JSONValue
    {
        let id = try input.string("id")
        let existing = try await record(id, for: input.principal)
        try await confirmations.require(input, operation: "DELETE /clusters/\(id)", target: Self.target(existing)) {
            ["deletes": existing.json]
        }
        guard try await store.delete(id: existing.id) else { throw APIError.clusterNotFound(id) }
        await connections.remove(existing.id)
        input.logger.info("cluster deleted", metadata: ["cluster.id": "\(id)"])
        return .object(["id": .int(existing.id)])
    }

    /// A record as a confirmation binds it: its id, and when it last changed.
    private static func target(_ record: ClusterRecord) -> ConfirmationGate.Target {
        ConfirmationGate.Target(uid: record.key, resourceVersion: String(record.updatedAt.timeIntervalSince1970))
    }

    /// The record after probing the cluster it names, with `status` and `version` filled.
    private func probed(_ record: ClusterRecord, connections: ClusterConnections) async throws -> ClusterRecord {
        await connections.probe(record)
        return try await store.get(id: record.id) ?? record
    }

    private func validName(_ raw: String) throws(APIError) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw .invalidArgument("parameter \"name\" must not be empty") }
        guard name.count <= Self.maxNameLength else {
            throw .invalidArgument("parameter \"name\" must be at most \(Self.maxNameLength) characters")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidArgument("parameter \"name\" must not contain control characters")
        }
        return name
    }

    /// Checks that a kubeconfig parses and its current context names a cluster with a server
    /// URL. The reason for a refusal never quotes the document (it holds credentials).
    private func validKubeconfig(_ text: String) throws(APIError) -> String {
        guard text.utf8.count <= Self.maxKubeconfigBytes else {
            throw .invalidArgument("kubeconfig is larger than \(Self.maxKubeconfigBytes) bytes")
        }
        do {
            _ = try Kubeconfig(yaml: text).resolve(policy: policy)
        } catch let error as KubeconfigError {
            let optIn =
                switch error.refusal {
                case .exec: " (a gateway started with --allow-kubeconfig-exec accepts it)"
                case .file: " (a gateway started with --allow-kubeconfig-files accepts it)"
                case .insecureTransport: " (a gateway started with --allow-kubeconfig-insecure accepts it)"
                case nil: ""
                }
            throw .invalidArgument("invalid kubeconfig: \(error)\(optIn)")
        } catch {
            throw .invalidArgument("invalid kubeconfig: \(APIError.reason(of: error))")
        }
        return text
    }
}
