import Foundation
import GaleJSON

/// The apiserver's semantics on top of the raw store: status handling on create/update, patches,
/// deletion with propagation, namespace termination, the `scale` subresource and eviction.
public struct ClusterAPI: Sendable {
    /// The underlying store.
    public let store: ObjectStore
    let events: EventRecorder

    init(store: ObjectStore, eventLimit: Int = 1000) {
        self.store = store
        self.events = EventRecorder(store: store, limit: eventLimit)
    }

    /// Kinds whose status is owned by controllers and reset on create.
    static let controllerOwnedStatus: Set<ResourceType> = [
        ResourceCatalog.pods, ResourceCatalog.deployments, ResourceCatalog.replicaSets, ResourceCatalog.statefulSets,
        ResourceCatalog.daemonSets, ResourceCatalog.jobs, ResourceCatalog.cronJobs, ResourceCatalog.namespaces,
    ]

    /// Creates an object as a client would (status of controller-owned kinds reset).
    @discardableResult
    public func create(_ type: ResourceType, namespace: String?, object: JSONValue, dryRun: Bool = false) throws(KubeStatusError)
        -> JSONValue
    {
        guard !type.readOnly else { throw .methodNotAllowed() }
        var object = object
        if Self.controllerOwnedStatus.contains(type) {
            switch type {
            case ResourceCatalog.pods: object["status"] = ["phase": "Pending", "qosClass": "BestEffort"]
            case ResourceCatalog.namespaces: object["status"] = ["phase": "Active"]
            default: object["status"] = .object([:])
            }
        }
        if type == ResourceCatalog.namespaces, object[path: ["spec", "finalizers"]] == nil {
            object[path: ["spec", "finalizers"]] = ["kubernetes"]
        }
        if type == ResourceCatalog.namespaces {
            let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
            var labels = object[path: ["metadata", "labels"]] ?? .object([:])
            labels["kubernetes.io/metadata.name"] = .string(name)
            object[path: ["metadata", "labels"]] = labels
        }
        try ObjectValidation.validate(type, object)
        return try store.create(type, namespace: namespace, object: object, dryRun: dryRun)
    }

    /// Replaces an object or its status.
    @discardableResult
    public func replace(
        _ type: ResourceType, namespace: String?, name: String, object: JSONValue, statusOnly: Bool = false, dryRun: Bool = false
    ) throws(KubeStatusError) -> JSONValue {
        guard !type.readOnly else { throw .methodNotAllowed() }
        if !statusOnly { try ObjectValidation.validate(type, object) }
        return try store.update(type, namespace: namespace, name: name, object: object, statusOnly: statusOnly, dryRun: dryRun)
    }

    /// Patches an object or its status.
    @discardableResult
    public func patch(
        _ type: ResourceType, namespace: String?, name: String, format: PatchFormat, patch: JSONValue, statusOnly: Bool = false,
        dryRun: Bool = false
    ) throws(KubeStatusError) -> JSONValue {
        guard !type.readOnly else { throw .methodNotAllowed() }
        return try store.modify(type, namespace: namespace, name: name, dryRun: dryRun) { existing throws(KubeStatusError) in
            var patched = try existing.patched(format, with: patch)
            if let expected = patch[path: ["metadata", "resourceVersion"]]?.stringValue, !expected.isEmpty,
                expected != existing[path: ["metadata", "resourceVersion"]]?.stringValue
            {
                throw .conflict(type, name)
            }
            for key in ["uid", "creationTimestamp", "namespace", "name", "deletionTimestamp"] {
                patched[path: ["metadata", key]] = existing[path: ["metadata", key]]
            }
            if statusOnly {
                var result = existing
                result["status"] = patched["status"]
                patched = result
            } else if type.subresources.contains("status") {
                patched["status"] = existing["status"]
            }
            if !statusOnly { try ObjectValidation.validate(type, patched) }
            existing = patched
        }
    }

    /// How dependents are treated on delete.
    public enum Propagation: String, Sendable {
        case orphan = "Orphan"
        case background = "Background"
        case foreground = "Foreground"
    }

    /// Deletes an object; dependents (by ownerReferences) are deleted too unless `Orphan`. A namespace turns
    /// `Terminating` and is removed by the namespace controller once empty.
    @discardableResult
    public func delete(
        _ type: ResourceType, namespace: String?, name: String, propagation: Propagation? = nil, expectedUID: String? = nil,
        dryRun: Bool = false
    ) throws(KubeStatusError) -> JSONValue {
        guard !type.readOnly else { throw .methodNotAllowed() }
        if type == ResourceCatalog.namespaces {
            let now = KubeTime.format(Date())
            return try store.modify(type, namespace: nil, name: name, dryRun: dryRun) { namespace in
                if namespace[path: ["metadata", "deletionTimestamp"]] == nil {
                    namespace[path: ["metadata", "deletionTimestamp"]] = .string(now)
                }
                namespace[path: ["status", "phase"]] = "Terminating"
            }
        }
        let object = try store.get(type, namespace: namespace, name: name)
        let uid = object[path: ["metadata", "uid"]]?.stringValue ?? ""
        let policy = propagation ?? (type == ResourceCatalog.replicaSets || type == ResourceCatalog.statefulSets ? .background : .background)
        if !dryRun {
            switch policy {
            case .orphan:
                for (dependentType, dependent) in store.dependents(of: uid) {
                    _ = try? store.modify(
                        dependentType, namespace: dependent[path: ["metadata", "namespace"]]?.stringValue,
                        name: dependent[path: ["metadata", "name"]]?.stringValue ?? ""
                    ) { value in
                        let references = (value[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []).filter {
                            $0["uid"]?.stringValue != uid
                        }
                        value[path: ["metadata", "ownerReferences"]] = references.isEmpty ? nil : .some(.array(references))
                    }
                }
            case .background, .foreground:
                deleteDependents(of: uid)
            }
        }
        if type == ResourceCatalog.pods, !dryRun, let nodeName = object[path: ["spec", "nodeName"]]?.stringValue {
            events.record(object, type: type, reason: "Killing", message: "Stopping container \(Self.containerNames(object).first ?? name)", component: "kubelet", host: nodeName)
        }
        return try store.remove(type, namespace: namespace, name: name, expectedUID: expectedUID, dryRun: dryRun)
    }

    /// What a delete would remove (the object and, recursively, its dependents), for previews.
    public func deletionPreview(_ type: ResourceType, namespace: String?, name: String) throws(KubeStatusError) -> [(ResourceType, JSONValue)] {
        let object = try store.get(type, namespace: namespace, name: name)
        var result: [(ResourceType, JSONValue)] = [(type, object)]
        var queue = [object[path: ["metadata", "uid"]]?.stringValue ?? ""]
        while let uid = queue.popLast() {
            for (dependentType, dependent) in store.dependents(of: uid) {
                result.append((dependentType, dependent))
                queue.append(dependent[path: ["metadata", "uid"]]?.stringValue ?? "")
            }
        }
        return result
    }

    func deleteDependents(of uid: String) {
        for (type, dependent) in store.dependents(of: uid) {
            let dependentUID = dependent[path: ["metadata", "uid"]]?.stringValue ?? ""
            deleteDependents(of: dependentUID)
            _ = try? store.remove(
                type, namespace: dependent[path: ["metadata", "namespace"]]?.stringValue,
                name: dependent[path: ["metadata", "name"]]?.stringValue ?? "")
        }
    }

    static func containerNames(_ pod: JSONValue) -> [String] {
        (pod[path: ["spec", "containers"]]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }

    /// Evicts a pod (POST pods/NAME/eviction): it is deleted and its controller replaces it.
    public func evict(namespace: String, name: String, dryRun: Bool = false) throws(KubeStatusError) -> JSONValue {
        let pod = try store.get(ResourceCatalog.pods, namespace: namespace, name: name)
        if !dryRun {
            events.record(pod, type: ResourceCatalog.pods, reason: "Evicted", message: "Evicted pod \(name)", component: "disruption-controller")
        }
        try delete(ResourceCatalog.pods, namespace: namespace, name: name, dryRun: dryRun)
        return ["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success", "code": 201]
    }
}
