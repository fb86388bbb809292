import Foundation
import GaleJSON
import HTTPTypes
import KubeClient
import Logging

/// The alerting API: rules (CRUD with paging), each rule's history, and the current alerts of a
/// cluster. Reading needs the viewer role, changing rules the operator role; every rule belongs
/// to one cluster, which must be in the caller's scope (rules of other clusters are not found).
struct AlertOperations: Sendable {
    let registry: ClusterRegistry
    let reviews: AccessReviews
    let feed: AlertFeed

    private var store: any ClusterStore { registry.store }

    var operations: [Operation] {
        [
            Operation(.get, "/alerts/rules", role: .viewer, action: "list alert rules", handler: list),
            Operation(.post, "/alerts/rules", role: .operator, action: "create alert rules", handler: create),
            Operation(.get, "/alerts/rules/{id}", role: .viewer, action: "read alert rules") { input in
                AlertRule.json(try await store.scoped(AlertRule.self, input).document)
            },
            Operation(.put, "/alerts/rules/{id}", role: .operator, action: "update alert rules", handler: update),
            Operation(.delete, "/alerts/rules/{id}", role: .operator, action: "delete alert rules", handler: delete),
            Operation(
                .get, "/alerts/rules/{id}/history", role: .viewer, action: "read alert history", handler: history),
            Operation(.get, "/alerts", role: .viewer, action: "read alerts", handler: current),
        ]
    }

    @Sendable func list(_ input: OperationInput) async throws -> JSONValue {
        try await store.page(of: AlertRule.self, input)
    }

    @Sendable func create(_ input: OperationInput) async throws -> JSONValue {
        let rule = try AlertRule(input, creator: input.principal.subject)
        try await authorize(rule, input.principal)
        let document = try await store.insert(rule)
        input.logger.info("alert rule created", metadata: ["rule.id": "\(document.id)"])
        return AlertRule.json(document)
    }

    @Sendable func update(_ input: OperationInput) async throws -> JSONValue {
        let (existing, old) = try await store.scoped(AlertRule.self, input)
        let rule = try AlertRule(input, creator: input.principal.subject, existing: old)
        try await authorize(rule, input.principal)
        return AlertRule.json(
            try await store.replace(existing.id, with: rule, revision: try input.optionalInt("revision")))
    }

    @Sendable func delete(_ input: OperationInput) async throws -> JSONValue {
        let (existing, _) = try await store.scoped(AlertRule.self, input)
        try await store.remove(AlertRule.self, id: existing.id)
        input.logger.info("alert rule deleted", metadata: ["rule.id": "\(existing.id)"])
        return .null
    }

    @Sendable func history(_ input: OperationInput) async throws -> JSONValue {
        let paging = try input.paging()
        let (rule, _) = try await store.scoped(AlertRule.self, input)
        let (entries, total) = try await store.entries(
            .alertHistory, owner: rule.id, offset: paging.offset, limit: paging.pageSize)
        return paging.envelope(
            items: entries.map { entry in
                var json = entry.body
                json["id"] = .int(entry.id)
                json["recorded_at"] = .string(ClusterRecord.timestamp(entry.createdAt))
                return json
            }, total: total)
    }

    /// The pending and firing alerts of the cluster `cluster_id`.
    @Sendable func current(_ input: OperationInput) async throws -> JSONValue {
        let record = try await registry.record(try input.string("cluster_id"), for: input.principal)
        try await authorizeAlerts(input.principal, record: record)
        let alerts = feed.current(cluster: record.id)
        return ["items": .array(alerts.map(\.json)), "total": .int(Int64(alerts.count))]
    }

    /// The rule's cluster must be registered and in scope, and the caller allowed (by the
    /// cluster's RBAC, when it impersonates its users) to list what the rule looks at: the
    /// evaluator reads it as the gateway.
    private func authorize(_ rule: AlertRule, _ principal: Principal) async throws {
        let record = try await registry.record(String(rule.cluster), for: principal)
        let plural = AlertConditions.resource(of: rule.condition) ?? "nodes"
        guard let resource = ResourceCatalog.standard.resource(named: plural) else { return }
        try await reviews.authorize(principal, on: record, verb: "list", resource: resource, namespace: rule.namespace)
    }

    /// Alerts name pods and nodes of every namespace: the caller must be allowed to list pods
    /// in every namespace (on clusters that impersonate their users).
    func authorizeAlerts(_ principal: Principal, record: ClusterRecord) async throws(APIError) {
        try await reviews.authorize(principal, on: record, verb: "list", resource: Self.pods, namespace: nil)
    }

    private static let pods = ResourceCatalog.standard.resource(named: "pods")!
}
