import GaleJSON

/// The RBAC objects of a fresh cluster, faithful in spirit to the apiserver's bootstrap policy: `cluster-admin`,
/// `admin`, `edit`, `view`, `system:discovery`, `system:basic-user`, `system:public-info-viewer` and their
/// bindings, plus the roles the gateway's three user roles map to (see ``BootstrapPolicy/kubegaleObjects``).
enum BootstrapPolicy {
    static let readVerbs = ["get", "list", "watch"]
    static let writeVerbs = ["create", "delete", "deletecollection", "patch", "update"]

    static func rule(_ verbs: [String], _ groups: [String], _ resources: [String]) -> PolicyRule {
        PolicyRule(verbs: verbs, apiGroups: groups, resources: resources)
    }

    /// Reads of the common namespaced kinds, without secrets (`view`).
    static let viewRules: [PolicyRule] = [
        rule(
            readVerbs, [""],
            [
                "pods", "pods/log", "pods/status", "configmaps", "endpoints", "persistentvolumeclaims",
                "persistentvolumeclaims/status", "replicationcontrollers", "replicationcontrollers/scale",
                "serviceaccounts",
                "services", "services/status", "bindings", "events", "limitranges", "resourcequotas",
                "resourcequotas/status",
                "namespaces", "namespaces/status",
            ]),
        rule(
            readVerbs, ["apps"],
            [
                "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                "deployments/status",
                "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale",
                "statefulsets/status",
            ]),
        rule(readVerbs, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
        rule(readVerbs, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
        rule(readVerbs, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
        rule(readVerbs, ["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"]),
        rule(readVerbs, ["discovery.k8s.io"], ["endpointslices"]),
        rule(readVerbs, ["metrics.k8s.io"], ["pods"]),
    ]

    /// `view` plus writes of the common kinds, secrets, and exec/attach/port-forward (`edit`).
    static let editRules: [PolicyRule] =
        viewRules + [
            rule(
                readVerbs + writeVerbs, [""],
                ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]),
            rule(
                writeVerbs, [""],
                [
                    "pods", "configmaps", "endpoints", "events", "persistentvolumeclaims", "replicationcontrollers",
                    "replicationcontrollers/scale", "serviceaccounts", "services",
                ]),
            rule(["create"], [""], ["pods/eviction", "serviceaccounts/token"]),
            rule(
                writeVerbs, ["apps"],
                [
                    "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
                    "replicasets/scale",
                    "statefulsets", "statefulsets/scale",
                ]),
            rule(writeVerbs, ["autoscaling"], ["horizontalpodautoscalers"]),
            rule(writeVerbs, ["batch"], ["cronjobs", "jobs"]),
            rule(writeVerbs, ["policy"], ["poddisruptionbudgets"]),
            rule(writeVerbs, ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
        ]

    /// `edit` plus the namespace's RBAC (`admin`).
    static let adminRules: [PolicyRule] =
        editRules + [
            rule(readVerbs + writeVerbs, ["rbac.authorization.k8s.io"], ["roles", "rolebindings"]),
            rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
        ]

    static let discoveryPaths = [
        "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version",
        "/version/",
    ]

    /// Every default ClusterRole and ClusterRoleBinding, as stored objects.
    static var objects: [(ResourceType, JSONValue)] {
        var result: [(ResourceType, JSONValue)] = [
            clusterRole(
                "cluster-admin",
                [
                    PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]),
                    PolicyRule(verbs: ["*"], nonResourceURLs: ["*"]),
                ]),
            clusterRole("admin", adminRules), clusterRole("edit", editRules), clusterRole("view", viewRules),
            clusterRole("system:discovery", [PolicyRule(verbs: ["get"], nonResourceURLs: discoveryPaths)]),
            clusterRole(
                "system:public-info-viewer",
                [
                    PolicyRule(
                        verbs: ["get"], nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"])
                ]),
            clusterRole(
                "system:basic-user",
                [
                    rule(
                        ["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
                    rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
                ]),
            binding("cluster-admin", role: "cluster-admin", groups: [UserInfo.mastersGroup]),
            binding("system:discovery", role: "system:discovery", groups: [UserInfo.authenticatedGroup]),
            binding("system:basic-user", role: "system:basic-user", groups: [UserInfo.authenticatedGroup]),
            binding(
                "system:public-info-viewer", role: "system:public-info-viewer",
                groups: [UserInfo.authenticatedGroup, UserInfo.unauthenticatedGroup]),
        ]
        result += kubegaleObjects
        return result
    }

    /// Creates the default objects that do not exist yet.
    static func seed(_ store: ObjectStore) {
        for (type, object) in objects {
            _ = try? store.create(type, namespace: nil, object: object)
        }
    }

    static func clusterRole(_ name: String, _ rules: [PolicyRule], labels: [String: String] = [:]) -> (
        ResourceType, JSONValue
    ) {
        let metadata: JSONValue = [
            "name": .string(name), "annotations": ["rbac.authorization.kubernetes.io/autoupdate": "true"],
            "labels": .strings(labels.isEmpty ? ["kubernetes.io/bootstrapping": "rbac-defaults"] : labels),
        ]
        return (ResourceCatalog.clusterRoles, ["metadata": metadata, "rules": .array(rules.map(\.json))])
    }

    static func binding(_ name: String, role: String, groups: [String]) -> (ResourceType, JSONValue) {
        let subjects: [JSONValue] = groups.map {
            ["kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": .string($0)]
        }
        return (
            ResourceCatalog.clusterRoleBindings,
            [
                "metadata": ["name": .string(name), "labels": ["kubernetes.io/bootstrapping": "rbac-defaults"]],
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(role)],
                "subjects": .array(subjects),
            ]
        )
    }
}
