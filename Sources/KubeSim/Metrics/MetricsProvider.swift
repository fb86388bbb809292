import Foundation
import GaleJSON
import HTTPTypes
import Hummingbird

/// metrics.k8s.io/v1beta1: NodeMetrics and PodMetrics computed from the running pods, varying smoothly over time.
public struct MetricsProvider: Sendable {
    let store: ObjectStore

    /// CPU in nanocores and memory in bytes of one container at `date`.
    public static func containerUsage(pod: String, container: String, at date: Date) -> (cpuNanos: Int, memoryBytes: Int) {
        let seed = LogGenerator.seed("\(pod)/\(container)")
        let baseCPU = Double(5_000_000 + Int(seed % 245_000_000))  // 5m .. 250m
        let baseMemory = Double(24 + Int((seed >> 20) % 232)) * 1_048_576  // 24Mi .. 256Mi
        let phase = Double(seed % 628) / 100
        let t = date.timeIntervalSince1970
        let cpu = baseCPU * (1 + 0.35 * sin(t / 20 + phase) + 0.1 * sin(t / 3.7 + phase * 2))
        let memory = baseMemory * (1 + 0.08 * sin(t / 60 + phase))
        return (max(1_000, Int(cpu)), Int(memory))
    }

    static func cpu(_ nanos: Int) -> String { "\(nanos)n" }
    static func memory(_ bytes: Int) -> String { "\(bytes / 1024)Ki" }

    /// PodMetrics of a running pod.
    public func podMetrics(_ pod: JSONValue, at date: Date = Date()) -> JSONValue {
        let name = pod[path: ["metadata", "name"]]?.stringValue ?? ""
        let containers = (pod[path: ["spec", "containers"]]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        return [
            "kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": [
                "name": .string(name), "namespace": pod[path: ["metadata", "namespace"]] ?? .null,
                "creationTimestamp": .string(KubeTime.format(date)), "labels": pod[path: ["metadata", "labels"]] ?? .object([:]),
            ],
            "timestamp": .string(KubeTime.format(date.addingTimeInterval(-5))), "window": "15.012s",
            "containers": .array(
                containers.map { container in
                    let usage = Self.containerUsage(pod: name, container: container, at: date)
                    return ["name": .string(container), "usage": ["cpu": .string(Self.cpu(usage.cpuNanos)), "memory": .string(Self.memory(usage.memoryBytes))]]
                }),
        ]
    }

    /// NodeMetrics: the node's pods plus system overhead.
    public func nodeMetrics(_ node: JSONValue, pods: [JSONValue], at date: Date = Date()) -> JSONValue {
        let name = node[path: ["metadata", "name"]]?.stringValue ?? ""
        var cpu = 80_000_000 + Int(LogGenerator.seed(name) % 60_000_000)
        var memory = 600 * 1_048_576
        for pod in pods where pod[path: ["spec", "nodeName"]]?.stringValue == name {
            let podName = pod[path: ["metadata", "name"]]?.stringValue ?? ""
            for container in (pod[path: ["spec", "containers"]]?.arrayValue ?? []).compactMap({ $0["name"]?.stringValue }) {
                let usage = Self.containerUsage(pod: podName, container: container, at: date)
                cpu += usage.cpuNanos
                memory += usage.memoryBytes
            }
        }
        return [
            "kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": [
                "name": .string(name), "creationTimestamp": .string(KubeTime.format(date)),
                "labels": node[path: ["metadata", "labels"]] ?? .object([:]),
            ],
            "timestamp": .string(KubeTime.format(date.addingTimeInterval(-5))), "window": "20.008s",
            "usage": ["cpu": .string(Self.cpu(cpu)), "memory": .string(Self.memory(memory))],
        ]
    }

    func runningPods(namespace: String?) -> [JSONValue] {
        store.list(ResourceCatalog.pods, filter: ObjectFilter(namespace: namespace)).items.filter {
            $0[path: ["status", "phase"]]?.stringValue == "Running"
        }
    }

    func respond(_ type: ResourceType, namespace: String?, name: String?, query: QueryParameters, method: HTTPRequest.Method) throws
        -> Response
    {
        guard method == .get else { throw KubeStatusError.methodNotAllowed() }
        let labelSelector: LabelSelector
        do { labelSelector = try LabelSelector(parsing: query["labelSelector"] ?? "") } catch { throw KubeStatusError.badRequest(error.message) }
        let now = Date()
        let items: [JSONValue]
        if type == ResourceCatalog.nodeMetrics {
            let pods = runningPods(namespace: nil)
            items = store.list(ResourceCatalog.nodes, filter: ObjectFilter(labelSelector: labelSelector)).items.map {
                nodeMetrics($0, pods: pods, at: now)
            }
        } else {
            items = runningPods(namespace: namespace).filter { labelSelector.matches(object: $0) }.map { podMetrics($0, at: now) }
        }
        if let name {
            guard let item = items.first(where: { $0[path: ["metadata", "name"]]?.stringValue == name }) else {
                throw KubeStatusError.notFound(type, name)
            }
            return APIHandler.json(item)
        }
        return APIHandler.json(
            ["kind": .string("\(type.kind)List"), "apiVersion": "metrics.k8s.io/v1beta1", "metadata": .object([:]), "items": .array(items)])
    }
}
