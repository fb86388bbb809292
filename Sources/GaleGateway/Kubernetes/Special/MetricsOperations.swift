import Foundation
import GaleJSON
import HTTPTypes
import KubeClient

/// Seed §9: cluster totals, node and pod usage, and usage statistics over a time range.
struct MetricsOperations: Sendable {
    let access: ClusterAccess
    let history: MetricsHistory
    /// Asks the cluster whether a user may read what the history was sampled from.
    let reviews: AccessReviews

    /// What the history's usage figures come from: the user must be allowed to list it.
    private static let nodeMetrics = KubeResource(
        group: "metrics.k8s.io", version: "v1beta1", plural: "nodes", kind: "NodeMetrics", namespaced: false)

    private static let nodes = ResourceCatalog.standard.resource(named: "nodes")!
    private static let pods = ResourceCatalog.standard.resource(named: "pods")!

    var operations: [Operation] {
        [
            Operation(.get, "/metrics/cluster", role: .viewer, action: "read cluster metrics", handler: cluster),
            Operation(.get, "/metrics/nodes", role: .viewer, action: "read node metrics", handler: nodeUsage),
            Operation(.get, "/metrics/pods", role: .viewer, action: "read pod metrics", handler: podUsage),
            Operation(.get, "/metrics/stats", role: .viewer, action: "read cluster statistics", handler: stats),
        ]
    }

    /// Totals now: nodes, pods by phase, CPU and memory capacity against usage.
    @Sendable func cluster(_ input: OperationInput) async throws -> JSONValue {
        try await access.call(input) { client in try await ClusterSample.take(client).json }
    }

    /// Usage of every node (or `node_name`) against its capacity and allocatable, by name, paged.
    @Sendable func nodeUsage(_ input: OperationInput) async throws -> JSONValue {
        let only = try input.optionalString("node_name").flatMap { $0.isEmpty ? nil : $0 }
        let paging = try input.paging()
        return try await access.call(input) { client in
            let items = try await Self.nodeUsage(client, only: only)
            return SpecialOperations.page(items, paging)
        }
    }

    /// Usage of every node (or just `only`) against its capacity and allocatable, by name.
    static func nodeUsage(_ client: KubeClient, only: String? = nil) async throws -> [JSONValue] {
        var nodes = try await client.list(Self.nodes)["items"]?.arrayValue ?? []
        if let only {
            nodes = nodes.filter { SpecialOperations.name($0) == only }
            guard !nodes.isEmpty else { throw APIError.resourceNotFound("node \"\(only)\" not found") }
        }
        let usage = try await Self.metricsAPI { try await client.nodeMetrics() }
        let byName = Dictionary((usage["items"]?.arrayValue ?? []).map { (SpecialOperations.name($0), $0) }) {
            first, _ in first
        }
        return nodes.sorted { SpecialOperations.name($0) < SpecialOperations.name($1) }.map {
            node -> JSONValue in
            let metrics = byName[SpecialOperations.name(node)]
            let status = node["status"]
            let cpu = ResourceQuantity.millicores(metrics?["usage"]?["cpu"]?.stringValue)
            let memory = ResourceQuantity.value(metrics?["usage"]?["memory"]?.stringValue)
            let cpuAllocatable = ResourceQuantity.millicores(status?["allocatable"]?["cpu"]?.stringValue) ?? 0
            let memoryAllocatable = ResourceQuantity.value(status?["allocatable"]?["memory"]?.stringValue) ?? 0
            return [
                "name": .string(SpecialOperations.name(node)),
                "timestamp": metrics?["timestamp"] ?? .null,
                "cpu": [
                    "usage_millicores": Self.int(cpu),
                    "capacity_millicores": Self.int(
                        ResourceQuantity.millicores(status?["capacity"]?["cpu"]?.stringValue)),
                    "allocatable_millicores": Self.int(cpuAllocatable),
                    "usage_percent": ClusterSample.percent(cpu, of: cpuAllocatable),
                ],
                "memory": [
                    "usage_bytes": Self.int(memory),
                    "capacity_bytes": Self.int(ResourceQuantity.value(status?["capacity"]?["memory"]?.stringValue)),
                    "allocatable_bytes": Self.int(memoryAllocatable),
                    "usage_percent": ClusterSample.percent(memory, of: memoryAllocatable),
                ],
            ]
        }
    }

    /// Usage of the running pods of `namespace` (all when absent; or just `pod_name`), summed over
    /// containers and per container, by namespace and name, paged.
    @Sendable func podUsage(_ input: OperationInput) async throws -> JSONValue {
        let namespace = try SpecialOperations.namespaceFilter(input)
        let only = try input.optionalString("pod_name").flatMap { $0.isEmpty ? nil : $0 }
        let paging = try input.paging()
        return try await access.call(input) { client in
            try await SpecialOperations.requireNamespace(namespace, client: client)
            if let only { _ = try await client.get(Self.pods, namespace: namespace, name: only) }
            let items = try await Self.podUsage(client, namespace: namespace, only: only)
            return SpecialOperations.page(items, paging)
        }
    }

    /// Usage of the running pods of `namespace` (all when `nil`; or just `only`), by namespace and name.
    static func podUsage(_ client: KubeClient, namespace: String?, only: String? = nil) async throws -> [JSONValue] {
        let list = try await metricsAPI { try await client.podMetrics(namespace: namespace) }
        return (list["items"]?.arrayValue ?? [])
            .filter { only == nil || SpecialOperations.name($0) == only }
            .sorted {
                ($0["metadata"]?["namespace"]?.stringValue ?? "", SpecialOperations.name($0))
                    < ($1["metadata"]?["namespace"]?.stringValue ?? "", SpecialOperations.name($1))
            }
            .map(podUsage)
    }

    private static func podUsage(_ metrics: JSONValue) -> JSONValue {
        var cpuTotal = 0.0
        var memoryTotal = 0.0
        let containers = (metrics["containers"]?.arrayValue ?? []).map { container -> JSONValue in
            let cpu = ResourceQuantity.millicores(container["usage"]?["cpu"]?.stringValue) ?? 0
            let memory = ResourceQuantity.value(container["usage"]?["memory"]?.stringValue) ?? 0
            cpuTotal += cpu
            memoryTotal += memory
            return ["name": container["name"] ?? .null, "cpu_millicores": int(cpu), "memory_bytes": int(memory)]
        }
        return [
            "namespace": metrics["metadata"]?["namespace"] ?? .null, "name": metrics["metadata"]?["name"] ?? .null,
            "timestamp": metrics["timestamp"] ?? .null, "cpu_millicores": int(cpuTotal),
            "memory_bytes": int(memoryTotal),
            "containers": .array(containers),
        ]
    }

    /// The samples of the gateway's history within `time_range` (`15m`, `1h`, `6h`, `24h`, ...;
    /// default `1h`) with min, average and max of CPU and memory usage. Served from the gateway's
    /// own history, sampled as the gateway, so only to users the cluster lets list node metrics
    /// (asked with a SubjectAccessReview; the answer is reused for a while, so the history still
    /// answers through a short outage).
    @Sendable func stats(_ input: OperationInput) async throws -> JSONValue {
        let text = try input.optionalString("time_range").flatMap { $0.isEmpty ? nil : $0 } ?? "1h"
        guard let range = Self.duration(text) else {
            throw APIError.invalidArgument("parameter \"time_range\" must be a duration such as 15m, 1h, 6h or 24h")
        }
        let id = try input.optionalString("cluster_id") ?? input.string("id")
        let record = try await access.registry.record(id, for: input.principal)
        try await reviews.authorize(input.principal, on: record, verb: "list", resource: Self.nodeMetrics, namespace: nil)
        let samples = history.samples(cluster: record.id, since: Date().addingTimeInterval(-range))
        return [
            "time_range": .string(text),
            "samples": .array(samples.map(\.json)),
            "cpu": Self.summary(samples.compactMap(\.cpuUsage), unit: "millicores"),
            "memory": Self.summary(samples.compactMap(\.memoryUsage), unit: "bytes"),
        ]
    }

    /// `{min, avg, max, unit}`, nulls when there is nothing to summarise.
    static func summary(_ values: [Double], unit: String) -> JSONValue {
        guard let min = values.min(), let max = values.max() else {
            return ["min": nil, "avg": nil, "max": nil, "unit": .string(unit)]
        }
        let average = values.reduce(0, +) / Double(values.count)
        return ["min": int(min), "avg": int(average), "max": int(max), "unit": .string(unit)]
    }

    /// Seconds in `15m`, `1h`, `90s`, `7d`; `nil` when not such a duration or not positive.
    static func duration(_ text: String) -> TimeInterval? {
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let count = Double(text.dropLast()), count > 0 else {
            return nil
        }
        return count * unit
    }

    /// Calls metrics.k8s.io; its absence (no metrics-server) is 1004 with a message saying so.
    static func metricsAPI(_ call: () async throws -> JSONValue) async throws -> JSONValue {
        do {
            return try await call()
        } catch let error as KubeError where error.isNotFound && !error.isNamespaceNotFound {
            throw APIError.resourceNotFound(
                "metrics.k8s.io is not served by this cluster (is metrics-server installed?)")
        }
    }

    private static func int(_ value: Double?) -> JSONValue {
        value.map { .int(Int64($0.rounded())) } ?? .null
    }
}
