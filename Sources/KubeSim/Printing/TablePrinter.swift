import Foundation
import GaleJSON

/// How the objects of one kind print as table rows, like the apiserver's printers behind `kubectl get`: the
/// column set and, for one object, its cells. Cells always cover every column, priority 1 included, as the
/// apiserver sends them; kubectl hides the wide columns itself unless `-o wide` is given.
struct TablePrinter: Sendable {
    /// The columns, in order.
    let columns: [TableColumn]
    private let makeCells: @Sendable (JSONValue, Date) -> [JSONValue]
    private let makeConditions: (@Sendable (JSONValue) -> JSONValue?)?

    init(
        _ columns: [TableColumn], conditions: (@Sendable (JSONValue) -> JSONValue?)? = nil,
        cells: @escaping @Sendable (JSONValue, Date) -> [JSONValue]
    ) {
        self.columns = columns
        self.makeCells = cells
        self.makeConditions = conditions
    }

    /// The cells of one object's row at `now` (ages are relative to it).
    func cells(_ object: JSONValue, now: Date) -> [JSONValue] { makeCells(object, now) }

    /// The row's conditions (`Completed` for pods that finished), if any.
    func conditions(_ object: JSONValue) -> JSONValue? { makeConditions?(object) }

    /// The printer for a kind; kinds without their own get the apiserver's default (name and creation time).
    static func forResource(_ type: ResourceType) -> TablePrinter {
        byResource[type] ?? createdAt
    }

    private static let byResource: [ResourceType: TablePrinter] = [
        ResourceCatalog.pods: pods,
        ResourceCatalog.services: services,
        ResourceCatalog.endpoints: endpoints,
        ResourceCatalog.configMaps: configMaps,
        ResourceCatalog.secrets: secrets,
        ResourceCatalog.serviceAccounts: serviceAccounts,
        ResourceCatalog.nodes: nodes,
        ResourceCatalog.namespaces: namespaces,
        ResourceCatalog.persistentVolumes: persistentVolumes,
        ResourceCatalog.persistentVolumeClaims: persistentVolumeClaims,
        ResourceCatalog.resourceQuotas: resourceQuotas,
        ResourceCatalog.events: events,
        ResourceCatalog.deployments: deployments,
        ResourceCatalog.replicaSets: replicaSets,
        ResourceCatalog.statefulSets: statefulSets,
        ResourceCatalog.daemonSets: daemonSets,
        ResourceCatalog.controllerRevisions: controllerRevisions,
        ResourceCatalog.jobs: jobs,
        ResourceCatalog.cronJobs: cronJobs,
        ResourceCatalog.ingresses: ingresses,
        ResourceCatalog.podDisruptionBudgets: podDisruptionBudgets,
        ResourceCatalog.storageClasses: storageClasses,
        ResourceCatalog.roleBindings: roleBindings,
        ResourceCatalog.clusterRoleBindings: roleBindings,
    ]

    /// The apiserver's default table (Roles, ClusterRoles, LimitRanges and custom resources without printer
    /// columns get it): the name and the creation time as an RFC 3339 `date`.
    static let createdAt = TablePrinter(
        [.name, TableColumn("Created At", "Time the object was created.", type: "date")]
    ) { object, _ in
        [
            PrintFormat.name(object),
            .string(object[path: ["metadata", "creationTimestamp"]]?.stringValue ?? "0001-01-01T00:00:00Z"),
        ]
    }
}
