/// One kind of Kubernetes resource the simulator serves: where it lives in the API and how discovery describes it.
public struct ResourceType: Sendable, Hashable, CustomStringConvertible {
    /// API group, empty for the core group.
    public let group: String
    /// API version inside the group.
    public let version: String
    /// Lower-case plural name used in paths (`pods`).
    public let plural: String
    /// Lower-case singular name (`pod`).
    public let singular: String
    /// Kind of the objects (`Pod`).
    public let kind: String
    /// Whether objects live inside a namespace.
    public let namespaced: Bool
    /// Short names for kubectl (`po`).
    public let shortNames: [String]
    /// Subresources served below an object (`status`, `scale`, `log`, ...).
    public let subresources: [String]
    /// Whether the resource can only be read (computed metrics).
    public let readOnly: Bool
    /// Discovery categories (`all`).
    public let categories: [String]
    /// Whether the resource is a review that is only created, answered and never stored (access reviews).
    public let review: Bool

    init(
        _ group: String, _ version: String, _ plural: String, _ kind: String, namespaced: Bool,
        shortNames: [String] = [], subresources: [String] = [], readOnly: Bool = false, categories: [String] = [],
        review: Bool = false
    ) {
        self.group = group
        self.version = version
        self.plural = plural
        self.singular = kind.lowercased()
        self.kind = kind
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.subresources = subresources
        self.readOnly = readOnly
        self.categories = categories
        self.review = review
    }

    /// `v1` or `apps/v1`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `pods` or `deployments.apps`: the name that identifies the resource in messages.
    public var qualifiedName: String { group.isEmpty ? plural : "\(plural).\(group)" }

    public var description: String { qualifiedName }

    /// Verbs advertised in discovery.
    public var verbs: [String] {
        if review { return ["create"] }
        return readOnly
            ? ["get", "list"]
            : ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    }
}

/// The fixed set of resources the simulator knows.
public enum ResourceCatalog {
    public static let pods = ResourceType(
        "", "v1", "pods", "Pod", namespaced: true, shortNames: ["po"],
        subresources: ["status", "log", "exec", "eviction", "binding", "attach", "portforward"], categories: ["all"])
    public static let services = ResourceType(
        "", "v1", "services", "Service", namespaced: true, shortNames: ["svc"], subresources: ["status"],
        categories: ["all"])
    public static let endpoints = ResourceType("", "v1", "endpoints", "Endpoints", namespaced: true, shortNames: ["ep"])
    public static let configMaps = ResourceType("", "v1", "configmaps", "ConfigMap", namespaced: true, shortNames: ["cm"])
    public static let secrets = ResourceType("", "v1", "secrets", "Secret", namespaced: true)
    public static let serviceAccounts = ResourceType(
        "", "v1", "serviceaccounts", "ServiceAccount", namespaced: true, shortNames: ["sa"])
    public static let nodes = ResourceType(
        "", "v1", "nodes", "Node", namespaced: false, shortNames: ["no"], subresources: ["status", "proxy"])
    public static let namespaces = ResourceType(
        "", "v1", "namespaces", "Namespace", namespaced: false, shortNames: ["ns"], subresources: ["status", "finalize"])
    public static let persistentVolumes = ResourceType(
        "", "v1", "persistentvolumes", "PersistentVolume", namespaced: false, shortNames: ["pv"],
        subresources: ["status"])
    public static let persistentVolumeClaims = ResourceType(
        "", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", namespaced: true, shortNames: ["pvc"],
        subresources: ["status"])
    public static let resourceQuotas = ResourceType(
        "", "v1", "resourcequotas", "ResourceQuota", namespaced: true, shortNames: ["quota"], subresources: ["status"])
    public static let limitRanges = ResourceType("", "v1", "limitranges", "LimitRange", namespaced: true, shortNames: ["limits"])
    public static let events = ResourceType("", "v1", "events", "Event", namespaced: true, shortNames: ["ev"])
    public static let deployments = ResourceType(
        "apps", "v1", "deployments", "Deployment", namespaced: true, shortNames: ["deploy"],
        subresources: ["status", "scale"], categories: ["all"])
    public static let replicaSets = ResourceType(
        "apps", "v1", "replicasets", "ReplicaSet", namespaced: true, shortNames: ["rs"],
        subresources: ["status", "scale"], categories: ["all"])
    public static let statefulSets = ResourceType(
        "apps", "v1", "statefulsets", "StatefulSet", namespaced: true, shortNames: ["sts"],
        subresources: ["status", "scale"], categories: ["all"])
    public static let daemonSets = ResourceType(
        "apps", "v1", "daemonsets", "DaemonSet", namespaced: true, shortNames: ["ds"], subresources: ["status"],
        categories: ["all"])
    public static let controllerRevisions = ResourceType(
        "apps", "v1", "controllerrevisions", "ControllerRevision", namespaced: true)
    public static let jobs = ResourceType(
        "batch", "v1", "jobs", "Job", namespaced: true, subresources: ["status"], categories: ["all"])
    public static let cronJobs = ResourceType(
        "batch", "v1", "cronjobs", "CronJob", namespaced: true, shortNames: ["cj"], subresources: ["status"],
        categories: ["all"])
    public static let ingresses = ResourceType(
        "networking.k8s.io", "v1", "ingresses", "Ingress", namespaced: true, shortNames: ["ing"],
        subresources: ["status"])
    public static let podDisruptionBudgets = ResourceType(
        "policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", namespaced: true, shortNames: ["pdb"],
        subresources: ["status"])
    public static let storageClasses = ResourceType(
        "storage.k8s.io", "v1", "storageclasses", "StorageClass", namespaced: false, shortNames: ["sc"])
    public static let roles = ResourceType("rbac.authorization.k8s.io", "v1", "roles", "Role", namespaced: true)
    public static let clusterRoles = ResourceType(
        "rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced: false)
    public static let roleBindings = ResourceType(
        "rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", namespaced: true)
    public static let clusterRoleBindings = ResourceType(
        "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced: false)
    public static let subjectAccessReviews = ResourceType(
        "authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", namespaced: false, review: true)
    public static let localSubjectAccessReviews = ResourceType(
        "authorization.k8s.io", "v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", namespaced: true, review: true)
    public static let selfSubjectAccessReviews = ResourceType(
        "authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", namespaced: false, review: true)
    public static let selfSubjectRulesReviews = ResourceType(
        "authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", namespaced: false, review: true)
    public static let selfSubjectReviews = ResourceType(
        "authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", namespaced: false, review: true)
    public static let nodeMetrics = ResourceType(
        "metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", namespaced: false, readOnly: true)
    public static let podMetrics = ResourceType(
        "metrics.k8s.io", "v1beta1", "pods", "PodMetrics", namespaced: true, readOnly: true)

    /// Every resource, in discovery order.
    public static let all: [ResourceType] = [
        pods, services, endpoints, configMaps, secrets, serviceAccounts, nodes, namespaces, persistentVolumes,
        persistentVolumeClaims, resourceQuotas, limitRanges, events, deployments, replicaSets, statefulSets,
        daemonSets, controllerRevisions, jobs, cronJobs, ingresses, podDisruptionBudgets, storageClasses, roles, clusterRoles,
        roleBindings, clusterRoleBindings, subjectAccessReviews, localSubjectAccessReviews, selfSubjectAccessReviews,
        selfSubjectRulesReviews, selfSubjectReviews, nodeMetrics, podMetrics,
    ]

    /// The stored (not computed) resources.
    public static let stored: [ResourceType] = all.filter { !$0.readOnly && !$0.review }

    /// Group/version pairs, core first, in discovery order.
    public static var groupVersions: [(group: String, version: String)] {
        var seen: [String] = []
        var result: [(String, String)] = []
        for type in all where !seen.contains(type.apiVersion) {
            seen.append(type.apiVersion)
            result.append((type.group, type.version))
        }
        return result
    }

    /// Finds a resource by group, version and plural.
    public static func find(group: String, version: String, plural: String) -> ResourceType? {
        all.first { $0.group == group && $0.version == version && $0.plural == plural }
    }

    /// Finds a stored resource by `apiVersion` and `kind` of an object.
    public static func find(apiVersion: String, kind: String) -> ResourceType? {
        stored.first { $0.apiVersion == apiVersion && $0.kind == kind }
    }
}
