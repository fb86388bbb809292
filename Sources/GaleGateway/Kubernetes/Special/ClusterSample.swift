import Foundation
import GaleJSON
import KubeClient

/// One look at a cluster's size and load: nodes, pods by phase, and CPU and memory capacity,
/// allocatable and usage (usage summed from metrics.k8s.io node metrics; `nil` without them).
struct ClusterSample: Sendable, Hashable {
    var timestamp: Date
    var nodes: Int
    var readyNodes: Int
    var schedulableNodes: Int
    var podsByPhase: [String: Int]
    /// Millicores.
    var cpuCapacity: Double
    var cpuAllocatable: Double
    var cpuUsage: Double?
    /// Bytes.
    var memoryCapacity: Double
    var memoryAllocatable: Double
    var memoryUsage: Double?

    /// Takes a sample of the cluster behind `client`.
    static func take(_ client: KubeClient, at timestamp: Date = Date()) async throws -> ClusterSample {
        async let nodeList = client.list(ResourceCatalog.standard.resource(named: "nodes")!)
        async let podList = client.list(ResourceCatalog.standard.resource(named: "pods")!)
        let usage: JSONValue?
        do {
            usage = try await client.nodeMetrics()
        } catch let error as KubeError where error.isNotFound {
            usage = nil  // no metrics-server: sizes without usage
        }
        let nodes = try await nodeList["items"]?.arrayValue ?? []
        let pods = try await podList["items"]?.arrayValue ?? []
        var sample = ClusterSample(
            timestamp: timestamp, nodes: nodes.count, readyNodes: 0, schedulableNodes: 0, podsByPhase: [:],
            cpuCapacity: 0, cpuAllocatable: 0, memoryCapacity: 0, memoryAllocatable: 0)
        for node in nodes {
            let conditions = node["status"]?["conditions"]?.arrayValue ?? []
            if conditions.contains(where: { $0["type"] == "Ready" && $0["status"] == "True" }) {
                sample.readyNodes += 1
            }
            if node["spec"]?["unschedulable"]?.boolValue != true { sample.schedulableNodes += 1 }
            sample.cpuCapacity += ResourceQuantity.millicores(node["status"]?["capacity"]?["cpu"]?.stringValue) ?? 0
            sample.cpuAllocatable +=
                ResourceQuantity.millicores(node["status"]?["allocatable"]?["cpu"]?.stringValue) ?? 0
            sample.memoryCapacity += ResourceQuantity.value(node["status"]?["capacity"]?["memory"]?.stringValue) ?? 0
            sample.memoryAllocatable +=
                ResourceQuantity.value(node["status"]?["allocatable"]?["memory"]?.stringValue) ?? 0
        }
        for pod in pods {
            sample.podsByPhase[pod["status"]?["phase"]?.stringValue ?? "Unknown", default: 0] += 1
        }
        if let items = usage?["items"]?.arrayValue {
            sample.cpuUsage = items.reduce(0) {
                $0 + (ResourceQuantity.millicores($1["usage"]?["cpu"]?.stringValue) ?? 0)
            }
            sample.memoryUsage = items.reduce(0) {
                $0 + (ResourceQuantity.value($1["usage"]?["memory"]?.stringValue) ?? 0)
            }
        }
        return sample
    }

    var pods: Int { podsByPhase.values.reduce(0, +) }

    /// Usage as a percentage of allocatable, as `kubectl top node` shows it.
    static func percent(_ usage: Double?, of total: Double) -> JSONValue {
        guard let usage, total > 0 else { return .null }
        return .double((usage / total * 10_000).rounded() / 100)
    }

    var json: JSONValue {
        [
            "timestamp": .string(ClusterRecord.timestamp(timestamp)),
            "nodes": [
                "total": .int(Int64(nodes)), "ready": .int(Int64(readyNodes)),
                "schedulable": .int(Int64(schedulableNodes)),
            ],
            "pods": [
                "total": .int(Int64(pods)),
                "by_phase": .object(podsByPhase.mapValues { .int(Int64($0)) }),
            ],
            "cpu": [
                "capacity_millicores": .int(Int64(cpuCapacity.rounded())),
                "allocatable_millicores": .int(Int64(cpuAllocatable.rounded())),
                "usage_millicores": cpuUsage.map { .int(Int64($0.rounded())) } ?? .null,
                "usage_percent": Self.percent(cpuUsage, of: cpuAllocatable),
            ],
            "memory": [
                "capacity_bytes": .int(Int64(memoryCapacity.rounded())),
                "allocatable_bytes": .int(Int64(memoryAllocatable.rounded())),
                "usage_bytes": memoryUsage.map { .int(Int64($0.rounded())) } ?? .null,
                "usage_percent": Self.percent(memoryUsage, of: memoryAllocatable),
            ],
            "metrics_available": .bool(cpuUsage != nil),
        ]
    }
}
