/// The kinds of objects the gateway works with, with lookup by plural, kind or short name.
///
/// ``standard`` is built in; ``KubeClient/discoverCatalog(_:)`` confirms it against a server's
/// discovery documents and fills in verbs and any differences.
public struct ResourceCatalog: Sendable {
    /// The resources, in catalog order.
    public private(set) var resources: [KubeResource]

    /// Creates a catalog from a list of resources.
    public init(resources: [KubeResource]) {
        self.resources = resources
    }

    /// The built-in catalog: every kind of the seed API plus replicasets and controllerrevisions.
    public static let standard = ResourceCatalog(resources: [
        .init(group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true, shortNames: ["po"]),
        .init(
            group: "apps", version: "v1", plural: "deployments", kind: "Deployment", namespaced: true,
            shortNames: ["deploy"]),
        .init(
            group: "apps", version: "v1", plural: "replicasets", kind: "ReplicaSet", namespaced: true,
            shortNames: ["rs"]),
        .init(
            group: "apps", version: "v1", plural: "statefulsets", kind: "StatefulSet", namespaced: true,
            shortNames: ["sts"]),
        .init(
            group: "apps", version: "v1", plural: "daemonsets", kind: "DaemonSet", namespaced: true, shortNames: ["ds"]),
        .init(
            group: "apps", version: "v1", plural: "controllerrevisions", kind: "ControllerRevision", namespaced: true),
        .init(group: "batch", version: "v1", plural: "jobs", kind: "Job", namespaced: true),
        .init(group: "batch", version: "v1", plural: "cronjobs", kind: "CronJob", namespaced: true, shortNames: ["cj"]),
        .init(group: "", version: "v1", plural: "services", kind: "Service", namespaced: true, shortNames: ["svc"]),
        .init(
            group: "networking.k8s.io", version: "v1", plural: "ingresses", kind: "Ingress", namespaced: true,
            shortNames: ["ing"]),
        .init(group: "", version: "v1", plural: "endpoints", kind: "Endpoints", namespaced: true, shortNames: ["ep"]),
        .init(
            group: "", version: "v1", plural: "persistentvolumes", kind: "PersistentVolume", namespaced: false,
            shortNames: ["pv"]),
        .init(
            group: "", version: "v1", plural: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true,
            shortNames: ["pvc"]),
        .init(
            group: "storage.k8s.io", version: "v1", plural: "storageclasses", kind: "StorageClass", namespaced: false,
            shortNames: ["sc"]),
        .init(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true, shortNames: ["cm"]),
        .init(group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true),
        .init(group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", kind: "Role", namespaced: true),
        .init(
            group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles", kind: "ClusterRole",
            namespaced: false),
        .init(
            group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings", kind: "RoleBinding",
            namespaced: true),
        .init(
            group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings",
            kind: "ClusterRoleBinding", namespaced: false),
        .init(
            group: "", version: "v1", plural: "serviceaccounts", kind: "ServiceAccount", namespaced: true,
            shortNames: ["sa"]),
        .init(group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false, shortNames: ["no"]),
        .init(group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false, shortNames: ["ns"]),
        .init(
            group: "", version: "v1", plural: "resourcequotas", kind: "ResourceQuota", namespaced: true,
            shortNames: ["quota"]),
        .init(
            group: "", version: "v1", plural: "limitranges", kind: "LimitRange", namespaced: true,
            shortNames: ["limits"]),
        .init(group: "", version: "v1", plural: "events", kind: "Event", namespaced: true, shortNames: ["ev"]),
    ])

    /// Finds a resource by plural (`deployments`), singular (`deployment`), kind (`Deployment`,
    /// case-insensitive), short name (`deploy`) or `plural.group` (`deployments.apps`).
    public func resource(named name: String) -> KubeResource? {
        let key = name.lowercased()
        if let found = resources.first(where: { $0.plural == key || $0.description == key }) { return found }
        if let found = resources.first(where: { $0.kind.lowercased() == key }) { return found }
        if let found = resources.first(where: { $0.shortNames.contains(key) }) { return found }
        return nil
    }

    /// Finds the resource of an object's `apiVersion` and `kind`.
    public func resource(apiVersion: String, kind: String) -> KubeResource? {
        resources.first { $0.apiVersion == apiVersion && $0.kind == kind }
    }

    /// The `group/version`s the catalog uses (`v1`, `apps/v1`, ...), in catalog order.
    public var groupVersions: [String] {
        var seen: Set<String> = []
        return resources.map(\.apiVersion).filter { seen.insert($0).inserted }
    }

    /// What a discovery check found.
    public struct DiscoveryReport: Sendable {
        /// Resources the server lists, as the catalog had them or corrected.
        public var confirmed: [String] = []
        /// Resources whose scope, kind or short names the server describes differently (catalog updated).
        public var updated: [String] = []
        /// Resources the server does not serve.
        public var missing: [String] = []
    }

    /// Confirms or updates the resources of one group version against its discovery document
    /// (an `APIResourceList` from `/api/v1` or `/apis/GROUP/VERSION`); `nil` means the server has no such group version.
    public mutating func apply(discovery list: KubeJSON?, groupVersion: String, report: inout DiscoveryReport) {
        let served = Dictionary(
            (list?["resources"]?.arrayValue ?? []).compactMap { entry -> (String, KubeJSON)? in
                guard let name = entry["name"]?.stringValue, !name.contains("/") else { return nil }
                return (name, entry)
            },
            uniquingKeysWith: { first, _ in first }
        )
        for index in resources.indices where resources[index].apiVersion == groupVersion {
            var resource = resources[index]
            guard let entry = served[resource.plural] else {
                report.missing.append(resource.description)
                continue
            }
            let before = resource
            resource.namespaced = entry["namespaced"]?.boolValue ?? resource.namespaced
            resource.kind = entry["kind"]?.stringValue ?? resource.kind
            if let shortNames = entry["shortNames"]?.arrayValue {
                resource.shortNames = shortNames.compactMap(\.stringValue)
            }
            resource.verbs = entry["verbs"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if before.namespaced != resource.namespaced || before.kind != resource.kind
                || before.shortNames != resource.shortNames
            {
                report.updated.append(resource.description)
            }
            report.confirmed.append(resource.description)
            resources[index] = resource
        }
    }
}
