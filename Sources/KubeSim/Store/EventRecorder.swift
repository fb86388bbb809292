import Foundation
import GaleJSON

/// Writes core/v1 `Event` objects about lifecycle changes, like the kubelet and controllers do.
struct EventRecorder: Sendable {
    let store: ObjectStore
    /// At most this many events are kept; the oldest are removed first.
    let limit: Int

    func record(
        _ object: JSONValue, type: ResourceType, reason: String, message: String, eventType: String = "Normal",
        component: String, host: String? = nil
    ) {
        let metadata = object["metadata"] ?? .object([:])
        let name = metadata["name"]?.stringValue ?? ""
        let namespace = type.namespaced ? (metadata["namespace"]?.stringValue ?? "default") : "default"
        let now = KubeTime.format(Date())
        var source: JSONValue = ["component": .string(component)]
        if let host { source["host"] = .string(host) }
        let event: JSONValue = [
            "metadata": [
                "name": .string("\(name).\(String(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF, radix: 16))"),
                "namespace": .string(namespace),
            ],
            "involvedObject": [
                "kind": .string(type.kind), "apiVersion": .string(type.apiVersion), "name": .string(name),
                "namespace": type.namespaced ? .string(namespace) : .null,
                "uid": metadata["uid"] ?? .null, "resourceVersion": metadata["resourceVersion"] ?? .null,
            ],
            "reason": .string(reason), "message": .string(message), "type": .string(eventType),
            "source": source, "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1,
            "eventTime": .null, "reportingComponent": .string(component), "reportingInstance": .string(host ?? ""),
        ]
        _ = try? store.create(ResourceCatalog.events, namespace: namespace, object: event)
        trim()
    }

    private func trim() {
        let events = store.list(ResourceCatalog.events).items
        guard events.count > limit else { return }
        let oldest = events.sorted {
            ($0[path: ["metadata", "resourceVersion"]]?.integer ?? 0) < ($1[path: ["metadata", "resourceVersion"]]?.integer ?? 0)
        }.prefix(events.count - limit)
        for event in oldest {
            _ = try? store.remove(
                ResourceCatalog.events, namespace: event[path: ["metadata", "namespace"]]?.stringValue,
                name: event[path: ["metadata", "name"]]?.stringValue ?? "")
        }
    }
}
