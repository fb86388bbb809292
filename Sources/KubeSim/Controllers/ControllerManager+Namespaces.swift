import Foundation
import GaleJSON

/// Namespace termination and Endpoints for Services with selectors.
extension ControllerManager {
    func reconcileNamespaces() {
        for namespace in store.list(ResourceCatalog.namespaces).items
        where namespace[path: ["status", "phase"]]?.stringValue == "Terminating" {
            let name = Self.name(namespace)
            for type in ResourceCatalog.stored where type.namespaced {
                for object in store.list(type, filter: ObjectFilter(namespace: name)).items {
                    _ = try? store.remove(type, namespace: name, name: Self.name(object))
                }
            }
            _ = try? store.remove(ResourceCatalog.namespaces, namespace: nil, name: name)
        }
    }

    func reconcileEndpoints() {
        for service in store.list(ResourceCatalog.services).items {
            guard let selector = service[path: ["spec", "selector"]]?.stringMap, !selector.isEmpty else { continue }
            let namespace = Self.namespace(service)
            let name = Self.name(service)
            let pods = store.list(ResourceCatalog.pods, filter: ObjectFilter(namespace: namespace)).items.filter {
                Self.isReady($0) && $0[path: ["status", "podIP"]] != nil
                    && LabelSelector(requirements: selector.map { .equals($0.key, $0.value) }).matches(object: $0)
            }.sorted { ($0[path: ["status", "podIP"]]?.stringValue ?? "") < ($1[path: ["status", "podIP"]]?.stringValue ?? "") }
            let addresses: [JSONValue] = pods.map { pod in
                [
                    "ip": pod[path: ["status", "podIP"]] ?? .null, "nodeName": pod[path: ["spec", "nodeName"]] ?? .null,
                    "targetRef": ["kind": "Pod", "name": .string(Self.name(pod)), "namespace": .string(namespace), "uid": .string(Self.uid(pod))],
                ]
            }
            let ports: [JSONValue] = (service[path: ["spec", "ports"]]?.arrayValue ?? []).map { port in
                var entry: JSONValue = [
                    "port": port["targetPort"]?.integer.map { .int(Int64($0)) } ?? port["port"] ?? 80,
                    "protocol": port["protocol"] ?? "TCP",
                ]
                if let portName = port["name"] { entry["name"] = portName }
                return entry
            }
            let subsets: JSONValue = addresses.isEmpty ? .null : [["addresses": .array(addresses), "ports": .array(ports)]]
            if let existing = store.find(ResourceCatalog.endpoints, namespace: namespace, name: name) {
                if existing["subsets"] ?? .null != subsets {
                    _ = try? store.modify(ResourceCatalog.endpoints, namespace: namespace, name: name) { $0["subsets"] = subsets.isNull ? nil : .some(subsets) }
                }
            } else {
                var endpoints: JSONValue = ["metadata": ["name": .string(name), "namespace": .string(namespace), "labels": service[path: ["metadata", "labels"]] ?? .object([:])]]
                if !subsets.isNull { endpoints["subsets"] = subsets }
                _ = try? store.create(ResourceCatalog.endpoints, namespace: namespace, object: endpoints)
            }
        }
    }
}

/// Garbage collection: dependents whose owner no longer exists are deleted (a controller pass that raced a
/// cascading delete can leave such orphans behind, exactly as in a real cluster).
extension ControllerManager {
    static let ownerKinds: [ResourceType] = [
        ResourceCatalog.deployments, ResourceCatalog.replicaSets, ResourceCatalog.statefulSets, ResourceCatalog.daemonSets,
        ResourceCatalog.jobs, ResourceCatalog.cronJobs,
    ]
    static let dependentKinds: [ResourceType] = [
        ResourceCatalog.replicaSets, ResourceCatalog.pods, ResourceCatalog.jobs, ResourceCatalog.controllerRevisions,
    ]

    func collectGarbage() {
        var owners: Set<String> = []
        for type in Self.ownerKinds {
            for object in store.list(type).items { owners.insert(Self.uid(object)) }
        }
        for type in Self.dependentKinds {
            for object in store.list(type).items {
                let references = object[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []
                guard !references.isEmpty,
                    references.allSatisfy({ !owners.contains($0["uid"]?.stringValue ?? "") })
                else { continue }
                _ = try? api.delete(type, namespace: Self.namespace(object), name: Self.name(object), propagation: .background)
            }
        }
    }
}
