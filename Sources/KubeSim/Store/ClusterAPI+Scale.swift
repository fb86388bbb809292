import GaleJSON

/// The `scale` subresource (autoscaling/v1 Scale) of deployments, replicasets and statefulsets.
extension ClusterAPI {
    static let scalable: Set<ResourceType> = [ResourceCatalog.deployments, ResourceCatalog.replicaSets, ResourceCatalog.statefulSets]

    /// The Scale view of a workload.
    public func scale(_ type: ResourceType, namespace: String, name: String) throws(KubeStatusError) -> JSONValue {
        guard Self.scalable.contains(type) else { throw .notFound(type, name) }
        return Self.scaleObject(try store.get(type, namespace: namespace, name: name))
    }

    static func scaleObject(_ object: JSONValue) -> JSONValue {
        let metadata = object["metadata"] ?? .object([:])
        let selector = LabelSelector(object: object[path: ["spec", "selector"]]).text
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": [
                "name": metadata["name"] ?? .null, "namespace": metadata["namespace"] ?? .null, "uid": metadata["uid"] ?? .null,
                "resourceVersion": metadata["resourceVersion"] ?? .null,
                "creationTimestamp": metadata["creationTimestamp"] ?? .null,
            ],
            "spec": ["replicas": .int(Int64(object[path: ["spec", "replicas"]]?.integer ?? 1))],
            "status": ["replicas": .int(Int64(object[path: ["status", "replicas"]]?.integer ?? 0)), "selector": .string(selector)],
        ]
    }

    /// Sets the replicas through a Scale object (PUT) or a patch of it (PATCH).
    public func updateScale(
        _ type: ResourceType, namespace: String, name: String, scale: JSONValue? = nil, patch: (PatchFormat, JSONValue)? = nil,
        dryRun: Bool = false
    ) throws(KubeStatusError) -> JSONValue {
        let current = try self.scale(type, namespace: namespace, name: name)
        var desired = scale ?? current
        if let (format, body) = patch { desired = try current.patched(format, with: body) }
        guard let replicas = desired[path: ["spec", "replicas"]]?.integer, replicas >= 0 else {
            throw .invalid(type, name, field: "spec.replicas", "Invalid value: must be greater than or equal to 0")
        }
        if let expected = desired[path: ["metadata", "resourceVersion"]]?.stringValue, scale != nil, !expected.isEmpty,
            expected != current[path: ["metadata", "resourceVersion"]]?.stringValue
        {
            throw .conflict(type, name)
        }
        let updated = try store.modify(type, namespace: namespace, name: name, dryRun: dryRun) { object in
            object[path: ["spec", "replicas"]] = .int(Int64(replicas))
        }
        return Self.scaleObject(updated)
    }
}
