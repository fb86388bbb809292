import KubeClient

/// A kind of object the API serves under its own path (`/pods`, `/deployments`, ...), with
/// the seed's create/read/update/delete operations.
struct ResourceFamily: Sendable {
    let resource: KubeResource
    /// Which of the CRUD operations the seed lists for it.
    let verbs: Set<Verb>

    enum Verb: Sendable, Hashable {
        case list, get, create, update, delete
    }

    static let all: Set<Verb> = [.list, .get, .create, .update, .delete]

    init(_ plural: String, _ verbs: Set<Verb> = ResourceFamily.all) {
        guard let resource = ResourceCatalog.standard.resource(named: plural) else {
            preconditionFailure("\(plural) is not in the resource catalog")
        }
        self.resource = resource
        self.verbs = verbs
    }

    /// `/pods`.
    var path: String { "/" + resource.plural }

    /// Every family of the seed API (§2–§8, §10).
    static let seed: [ResourceFamily] = [
        .init("pods", [.list, .get, .create, .delete]),
        .init("deployments"), .init("statefulsets"), .init("daemonsets"), .init("jobs"), .init("cronjobs"),
        .init("services"), .init("ingresses"), .init("endpoints"),
        .init("persistentvolumes"), .init("persistentvolumeclaims"), .init("storageclasses"),
        .init("configmaps"), .init("secrets"),
        .init("roles"), .init("clusterroles"), .init("rolebindings"), .init("clusterrolebindings"),
        .init("serviceaccounts"),
        .init("nodes", [.list, .get, .update, .delete]),
        .init("namespaces", [.list, .get, .create, .delete]),
    ]
}
