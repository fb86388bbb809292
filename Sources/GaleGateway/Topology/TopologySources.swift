import KubeClient

/// The collections a namespace's topology is drawn from, and the shared watches that carry them.
enum TopologySources {
    /// Namespaced collections first, then the cluster-scoped ones Pods and claims refer to.
    static let resources: [KubeResource] = [
        "pods", "replicasets", "deployments", "statefulsets", "daemonsets", "jobs", "cronjobs", "services", "endpoints",
        "ingresses", "persistentvolumeclaims", "configmaps", "secrets", "persistentvolumes", "nodes",
    ].map { plural in
        guard let resource = ResourceCatalog.standard.resource(named: plural) else {
            preconditionFailure("\(plural) is not in the resource catalog")
        }
        return resource
    }

    /// The shared watch of `resource` for the topology of `namespace` on `cluster`. Secrets are
    /// watched without their values: a graph needs their names only.
    static func key(_ resource: KubeResource, cluster: Int64, namespace: String) -> WatchKey {
        WatchKey(
            cluster: cluster, resource: resource.plural, namespace: resource.namespaced ? namespace : nil, name: nil,
            redactsSecretData: resource.plural == "secrets")
    }
}
