import Foundation
import GaleJSON
import GaleProtocol
import HTTPTypes
import KubeClient
import Logging

/// The automation API: tasks (CRUD with paging), a run now or a dry-run preview, and each task's
/// log of runs. Reading needs the viewer role, changing and running tasks the operator role;
/// every task belongs to one cluster, which must be in the caller's scope (tasks of other
/// clusters are not found). A task runs as whoever created or last changed it.
struct AutomationOperations: Sendable {
    let registry: ClusterRegistry
    let reviews: AccessReviews
    let runner: AutomationRunner
    let scheduler: AutomationScheduler

    private var store: any ClusterStore { registry.store }

    var operations: [Operation] {
        [
            Operation(.get, "/automation/tasks", role: .viewer, action: "list automation tasks", handler: list),
            Operation(.post, "/automation/tasks", role: .operator, action: "create automation tasks", handler: create),
            Operation(.get, "/automation/tasks/{id}", role: .viewer, action: "read automation tasks") { input in
                AutomationTask.json(try await store.scoped(AutomationTask.self, input).document)
            },
            Operation(
                .put, "/automation/tasks/{id}", role: .operator, action: "update automation tasks", handler: update),
            Operation(
                .delete, "/automation/tasks/{id}", role: .operator, action: "delete automation tasks", handler: delete),
            Operation(
                .post, "/automation/tasks/{id}/run", role: .operator, action: "run automation tasks", handler: run),
            Operation(
                .get, "/automation/tasks/{id}/runs", role: .viewer, action: "read automation runs", handler: runs),
        ]
    }

    @Sendable func list(_ input: OperationInput) async throws -> JSONValue {
        try await store.page(of: AutomationTask.self, input)
    }

    @Sendable func create(_ input: OperationInput) async throws -> JSONValue {
        let task = try AutomationTask(input, creator: input.principal)
        try await authorize(task, input.principal)
        let document = try await store.insert(task)
        input.logger.info("automation task created", metadata: ["task.id": "\(document.id)"])
        await scheduler.tasksChanged()
        return AutomationTask.json(document)
    }

    /// Changes any field; the caller becomes the user the task runs as, so nobody makes a task
    /// act with more rights than their own.
    @Sendable func update(_ input: OperationInput) async throws -> JSONValue {
        let (existing, old) = try await store.scoped(AutomationTask.self, input)
        let task = try AutomationTask(input, creator: input.principal, existing: old)
        try await authorize(task, input.principal)
        let document = try await store.replace(existing.id, with: task, revision: try input.optionalInt("revision"))
        await scheduler.tasksChanged()
        return AutomationTask.json(document)
    }

    @Sendable func delete(_ input: OperationInput) async throws -> JSONValue {
        let (existing, _) = try await store.scoped(AutomationTask.self, input)
        try await store.remove(AutomationTask.self, id: existing.id)
        input.logger.info("automation task deleted", metadata: ["task.id": "\(existing.id)"])
        await scheduler.tasksChanged()
        return .null
    }

    /// Runs the task now as its creator, or with `dry_run=true` previews it; either way the run is
    /// logged. A failed run is the failure's code, with the logged run in `data`. Nobody runs a
    /// task that acts with a higher role than their own.
    @Sendable func run(_ input: OperationInput) async throws -> JSONValue {
        let (_, task) = try await store.scoped(AutomationTask.self, input)
        guard input.principal.role >= task.creator.role else {
            throw APIError.forbidden(
                "the task runs as \(task.creator.subject) with role \(task.creator.role); "
                    + "role \(input.principal.role) may not run it")
        }
        let dryRun = try input.optionalBool("dry_run") ?? false
        let subject = input.principal.subject
        let run = await runner.run(task, trigger: dryRun ? .dryRun(subject) : .manual(subject), logger: input.logger)
        if run["result"] == "failed" {
            let code = run["code"]?.intValue.map { ErrorCode(rawValue: Int($0)) } ?? .internalError
            throw APIError(code, run["message"]?.stringValue, data: run)
        }
        return run
    }

    /// The task's runs, paged, newest first.
    @Sendable func runs(_ input: OperationInput) async throws -> JSONValue {
        let paging = try input.paging()
        let (task, _) = try await store.scoped(AutomationTask.self, input)
        let (entries, total) = try await store.entries(
            .automationRun, owner: task.id, offset: paging.offset, limit: paging.pageSize)
        return paging.envelope(items: entries.map(AutomationRunner.json), total: total)
    }

    /// The task's cluster must be registered and in scope; its alert rule visible to the caller;
    /// its template there and its values valid; and, on clusters that impersonate their users,
    /// the caller allowed to patch the task's target.
    private func authorize(_ task: AutomationTask, _ principal: Principal) async throws {
        let record = try await registry.record(String(task.cluster), for: principal)
        if let rule = task.alertRule {
            guard let document = try await store.document(.alertRule, id: rule), let found = AlertRule(document),
                principal.canAccess(cluster: String(found.cluster))
            else { throw APIError.resourceNotFound("alert rule \(rule) not found") }
        }
        if let id = task.template {
            let template = try await runner.templates.template(id)
            _ = try template.render(task.values)
        }
        if let plural = task.resource, let resource = ResourceCatalog.standard.resource(named: plural) {
            try await reviews.authorize(
                principal, on: record, verb: "patch", resource: resource,
                namespace: resource.namespaced ? task.namespace : nil)
        }
    }
}
