import GaleJSON
import KubeClient

/// What a cascading delete would take with it: the objects in the same namespace that an
/// object owns, directly or through others (a Deployment's ReplicaSets and their Pods, a
/// CronJob's Jobs and theirs), found by following `ownerReferences` as the garbage collector does.
enum DependentObjects {
    /// Kinds that own others in the workloads the seed manages.
    private static let ownedKinds = ["replicasets", "pods", "jobs", "controllerrevisions"]

    static func find(of object: JSONValue, client: KubeClient) async throws -> [JSONValue] {
        guard let namespace = object["metadata"]?["namespace"]?.stringValue,
            let uid = object["metadata"]?["uid"]?.stringValue
        else { return [] }
        var candidates: [JSONValue] = []
        for plural in ownedKinds {
            guard let resource = ResourceCatalog.standard.resource(named: plural) else { continue }
            let list = try await client.list(resource, namespace: namespace)
            let kind = resource.kind
            candidates += (list["items"]?.arrayValue ?? []).map { item in
                var item = item
                if item["kind"] == nil { item["kind"] = .string(kind) }
                return item
            }
        }
        var owners: Set<String> = [uid]
        var found: [JSONValue] = []
        var grew = true
        while grew {
            grew = false
            for candidate in candidates {
                guard let candidateUID = candidate["metadata"]?["uid"]?.stringValue, !owners.contains(candidateUID) else { continue }
                let ownerUIDs = candidate["metadata"]?["ownerReferences"]?.arrayValue?.compactMap { $0["uid"]?.stringValue } ?? []
                if ownerUIDs.contains(where: owners.contains) {
                    owners.insert(candidateUID)
                    found.append(reference(candidate))
                    grew = true
                }
            }
        }
        return found
    }

    /// `{kind, namespace, name}` of an object.
    static func reference(_ object: JSONValue) -> JSONValue {
        [
            "kind": object["kind"] ?? .null,
            "namespace": object["metadata"]?["namespace"] ?? .null,
            "name": object["metadata"]?["name"] ?? .null,
        ]
    }
}
