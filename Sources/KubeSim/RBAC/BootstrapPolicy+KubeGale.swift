import GaleJSON

/// The roles behind the gateway's user roles (viewer, operator, admin). The gateway impersonates its users
/// with the groups `kubegale:viewer`, `kubegale:operator` and `kubegale:admin`; these bindings give those
/// groups their meaning in every KubeSim. The names are relied on by the gateway: do not rename them.
extension BootstrapPolicy {
    /// Cluster-wide reads a console needs besides `view`: nodes, namespaces, volumes, storage classes, events,
    /// metrics, CRDs and ingress classes (never secrets).
    static let consoleClusterReads: [PolicyRule] = [
        rule(readVerbs, [""], ["nodes", "namespaces", "persistentvolumes", "events"]),
        rule(readVerbs, ["storage.k8s.io"], ["storageclasses"]),
        rule(readVerbs, ["events.k8s.io"], ["events"]),
        rule(readVerbs, ["metrics.k8s.io"], ["pods", "nodes"]),
        rule(readVerbs, ["apiextensions.k8s.io"], ["customresourcedefinitions"]),
        rule(readVerbs, ["networking.k8s.io"], ["ingressclasses"]),
    ]

    private static let labels = ["app.kubernetes.io/part-of": "kubegale"]

    static var kubegaleObjects: [(ResourceType, JSONValue)] {
        [
            clusterRole("kubegale-viewer", viewRules + consoleClusterReads, labels: labels),
            clusterRole("kubegale-operator", editRules + consoleClusterReads, labels: labels),
            kubegaleBinding("kubegale-viewers", role: "kubegale-viewer", group: "kubegale:viewer"),
            kubegaleBinding("kubegale-operators", role: "kubegale-operator", group: "kubegale:operator"),
            kubegaleBinding("kubegale-admins", role: "cluster-admin", group: "kubegale:admin"),
        ]
    }

    private static func kubegaleBinding(_ name: String, role: String, group: String) -> (ResourceType, JSONValue) {
        var (type, object) = binding(name, role: role, groups: [group])
        object[path: ["metadata", "labels"]] = .strings(labels)
        return (type, object)
    }
}
