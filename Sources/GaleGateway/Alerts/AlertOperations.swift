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
                AlertRule.json(try await document(input))
            },
            Operation(.put, "/alerts/rules/{id}", role: .operator, action: "update alert rules", handler: update),
            Operation(.delete, "/alerts/rules/{id}", role: .operator, action: "delete alert rules", handler: delete),
            Operation(.get, "/alerts/rules/{id}/history", role: .viewer, action: "read alert history", handler: history),
            Operation(.get, "/alerts", role: .viewer, action: "read alerts", handler: current),
        ]
    }

    @Sendable func list(_ input: OperationInput) async throws -> JSONValue {
        let paging = try input.paging()
        let keyword = try input.optionalString("keyword")
        let cluster = try input.optionalInt("cluster_id")
        if input.principal.clusters == .all, cluster == nil {
            let (documents, total) = try await store.documents(
                .alertRule, keyword: keyword, offset: paging.offset, limit: paging.pageSize)
            return paging.envelope(items: documents.map(AlertRule.json), total: total)
        }
        // Scoped callers see the rules of their clusters only: filtered before paging.
        let visible = try await store.allDocuments(.alertRule).filter { document in
            guard let rule = AlertRule(document) else { return false }
            if let cluster, rule.cluster != cluster { return false }
            if let keyword, !document.name.localizedCaseInsensitiveContains(keyword) { return false }
            return input.principal.canAccess(cluster: String(rule.cluster))
        }
        let page = visible.dropFirst(paging.offset).prefix(paging.pageSize)
        return paging.envelope(items: page.map(AlertRule.json), total: visible.count)
    }

    @Sendable func create(_ input: OperationInput) async throws -> JSONValue {
        let rule = try AlertRule(input, creator: input.principal.subject)
        try await authorize(rule, input.principal)
        do {
            let document = try await store.insertDocument(.alertRule, name: rule.name, body: rule.body)
            input.logger.info("alert rule created", metadata: ["rule.id": "\(document.id)"])
            return AlertRule.json(document)
        } catch let error as DocumentStoreError {
            throw APIError.documentRefused(error, noun: "alert rule", creating: true)
        }
    }

    @Sendable func update(_ input: OperationInput) async throws -> JSONValue {
        let existing = try await document(input)
        guard let old = AlertRule(existing) else { throw APIError.internalError }
        let rule = try AlertRule(input, creator: input.principal.subject, existing: old)
        try await authorize(rule, input.principal)
        do {
            guard
                let document = try await store.updateDocument(
                    .alertRule, id: existing.id, name: rule.name, body: rule.body,
                    expectedRevision: try input.optionalInt("revision"))
            else { throw APIError.resourceNotFound("alert rule \(existing.id) not found") }
            return AlertRule.json(document)
        } catch let error as DocumentStoreError {
            throw APIError.documentRefused(error, noun: "alert rule", creating: false)
        }
    }

    @Sendable func delete(_ input: OperationInput) async throws -> JSONValue {
        let existing = try await document(input)
        guard try await store.deleteDocument(.alertRule, id: existing.id) else {
            throw APIError.resourceNotFound("alert rule \(existing.id) not found")
        }
        input.logger.info("alert rule deleted", metadata: ["rule.id": "\(existing.id)"])
        return .null
    }

    @Sendable func history(_ input: OperationInput) async throws -> JSONValue {
        let paging = try input.paging()
        let rule = try await document(input)
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

    /// The rule document named by the path's `id`, when its cluster is in the caller's scope.
    private func document(_ input: OperationInput) async throws -> StoredDocument {
        let text = try input.string("id")
        guard let id = Int64(text), let document = try await store.document(.alertRule, id: id),
            let rule = AlertRule(document), input.principal.canAccess(cluster: String(rule.cluster))
        else { throw APIError.resourceNotFound("alert rule \(text) not found") }
        return document
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
