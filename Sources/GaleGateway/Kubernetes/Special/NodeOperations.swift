import GaleJSON
import GaleProtocol
import HTTPTypes
import KubeClient

/// Seed §7.5–§7.7: node scheduling (cordon/uncordon), drain and metrics.
struct NodeOperations: Sendable {
    let access: ClusterAccess
    let confirmations: ConfirmationGate

    private static let nodes = ResourceCatalog.standard.resource(named: "nodes")!
    private static let pods = ResourceCatalog.standard.resource(named: "pods")!

    var operations: [Operation] {
        [
            Operation(
                .post, "/nodes/{name}/schedule", role: .operator, action: "change node scheduling", handler: schedule),
            Operation(.post, "/nodes/{name}/drain", role: .operator, action: "drain nodes", handler: drain),
            Operation(.get, "/nodes/metrics", role: .viewer, action: "read node metrics", handler: metrics),
        ]
    }

    /// `schedulable=false` cordons the node (`spec.unschedulable: true`), `true` uncordons it,
    /// as `kubectl cordon`/`uncordon` do. Answers the node.
    @Sendable func schedule(_ input: OperationInput) async throws -> JSONValue {
        let name = try input.string("name")
        guard let schedulable = try input.optionalBool("schedulable") else {
            throw APIError.invalidArgument("missing parameter \"schedulable\"")
        }
        return try await access.call(input, verb: .update) { client in
            try await Self.setUnschedulable(!schedulable, node: name, client: client)
        }
    }

    /// Drains a node like `kubectl drain --ignore-daemonsets`: cordons it, then evicts every pod on
    /// it except DaemonSet pods (their controller would put them back) and mirror pods (the kubelet
    /// owns them). Pods no controller would recreate block the drain unless `force=true`, as in
    /// kubectl. A sensitive operation: the first call answers 1010 with the pods that would be
    /// evicted (checked by dry-run evictions) and a confirm token; the call with the token drains.
    @Sendable func drain(_ input: OperationInput) async throws -> JSONValue {
        let name = try input.string("name")
        let force = try input.optionalBool("force") ?? false
        let cluster = try input.optionalString("cluster_id") ?? input.string("id")
        let operation = "POST /nodes/\(name)/drain cluster=\(cluster) force=\(force)"
        return try await access.call(input, verb: .delete) { client in
            let node = try await client.get(Self.nodes, namespace: nil, name: name)
            let plan = try await Self.plan(node: name, client: client)
            if !force, !plan.unmanaged.isEmpty {
                throw APIError.invalidArgument(
                    "cannot drain \(name): pods without a controller would be lost ("
                        + plan.unmanaged.map(Self.label).joined(separator: ", ")
                        + "); repeat with force=true to delete them")
            }
            try await confirmations.require(input, operation: operation, target: .init(uid: node["metadata"]?["uid"]?.stringValue ?? "", resourceVersion: "")) {
                for pod in plan.evict {
                    _ = try await client.evict(
                        namespace: Self.namespace(pod), pod: SpecialOperations.name(pod),
                        options: DeleteOptions(dryRun: true))
                }
                return [
                    "node": .string(name), "cordon": true, "evicts": .array(plan.evict.map(Self.reference)),
                    "skips": .array(plan.skipped),
                ]
            }
            _ = try await Self.setUnschedulable(true, node: name, client: client)
            var evicted: [JSONValue] = []
            var failed: [JSONValue] = []
            for pod in plan.evict {
                do {
                    try await client.evict(namespace: Self.namespace(pod), pod: SpecialOperations.name(pod))
                    evicted.append(Self.reference(pod))
                } catch let error as KubeError where error.isNotFound {
                    evicted.append(Self.reference(pod))  // gone meanwhile: what the drain wanted
                } catch let error as KubeError {
                    var reference = Self.reference(pod)
                    reference["error"] = .string(error.message)
                    failed.append(reference)
                }
            }
            let result: JSONValue = [
                "node": .string(name), "cordoned": true, "evicted": .array(evicted), "skipped": .array(plan.skipped),
                "failed": .array(failed),
            ]
            guard failed.isEmpty else {
                throw APIError(
                    .deleteFailed, "\(failed.count) pod(s) of node \(name) could not be evicted", data: result)
            }
            return result
        }
    }

    /// metrics.k8s.io `NodeMetrics` of every node, by name, paged.
    @Sendable func metrics(_ input: OperationInput) async throws -> JSONValue {
        let paging = try input.paging()
        return try await access.call(input) { client in
            let list = try await MetricsOperations.metricsAPI { try await client.nodeMetrics() }
            let items = (list["items"]?.arrayValue ?? []).sorted {
                SpecialOperations.name($0) < SpecialOperations.name($1)
            }
            return SpecialOperations.page(items, paging)
        }
    }

    /// What a drain of `node` does with each of its pods.
    struct Plan: Sendable {
        var evict: [JSONValue] = []
        /// Pods with no controller (also in `evict`).
        var unmanaged: [JSONValue] = []
        /// `{namespace, name, reason}` of the pods left alone.
        var skipped: [JSONValue] = []
    }

    static func plan(node: String, client: KubeClient) async throws -> Plan {
        let list = try await client.list(pods, options: ListOptions(fieldSelector: "spec.nodeName=\(node)"))
        var plan = Plan()
        for pod in list["items"]?.arrayValue ?? [] where pod["metadata"]?["deletionTimestamp"] == nil {
            let controller = (pod["metadata"]?["ownerReferences"]?.arrayValue ?? []).first {
                $0["controller"]?.boolValue == true
            }
            if pod["metadata"]?["annotations"]?["kubernetes.io/config.mirror"] != nil {
                var skipped = reference(pod)
                skipped["reason"] = "mirror pod"
                plan.skipped.append(skipped)
            } else if controller?["kind"]?.stringValue == "DaemonSet" {
                var skipped = reference(pod)
                skipped["reason"] = "DaemonSet-managed"
                plan.skipped.append(skipped)
            } else {
                plan.evict.append(pod)
                if controller == nil { plan.unmanaged.append(pod) }
            }
        }
        return plan
    }

    static func setUnschedulable(_ unschedulable: Bool, node: String, client: KubeClient) async throws -> JSONValue {
        try await client.patch(
            nodes, namespace: nil, name: node, patch: ["spec": ["unschedulable": unschedulable ? true : .null]],
            type: .merge)
    }

    private static func namespace(_ pod: JSONValue) -> String {
        pod["metadata"]?["namespace"]?.stringValue ?? "default"
    }

    private static func label(_ pod: JSONValue) -> String { "\(namespace(pod))/\(SpecialOperations.name(pod))" }

    private static func reference(_ pod: JSONValue) -> JSONValue {
        ["namespace": .string(namespace(pod)), "name": .string(SpecialOperations.name(pod))]
    }
}
