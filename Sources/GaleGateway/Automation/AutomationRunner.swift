import Foundation
import GaleJSON
import GaleProtocol
import KubeClient
import Logging

/// Carries out an automation task's action as the task's creator — through ``ClusterAccess``, so
/// the creator's cluster scope is checked and, on clusters that impersonate their users, the call
/// goes upstream as them — and records every run in the task's log.
struct AutomationRunner: Sendable {
    let store: any DocumentStore
    let access: ClusterAccess
    let templates: TemplateOperations

    /// Why a run happened.
    enum Trigger: Sendable, Hashable {
        /// The schedule's tick (a minute).
        case scheduled(Date)
        /// An alert of the task's rule fired.
        case alert(AlertStateMachine.Alert)
        /// `POST /automation/tasks/{id}/run` by this subject.
        case manual(String)
        /// A preview asked by this subject; nothing is changed.
        case dryRun(String)

        var name: String {
            switch self {
            case .scheduled: "scheduled"
            case .alert: "alert"
            case .manual: "manual"
            case .dryRun: "dry-run"
            }
        }

        var isDryRun: Bool { if case .dryRun = self { true } else { false } }
    }

    /// The annotation `kubectl rollout restart` sets on the pod template.
    static let restartedAt = "kubectl.kubernetes.io/restartedAt"

    /// Runs the task (or previews it, for ``Trigger/dryRun(_:)``) and appends the run to its log;
    /// a failure is the run's result, not an error. Returns the logged run.
    @discardableResult
    func run(_ task: AutomationTask, trigger: Trigger, now: Date = Date(), logger: Logger) async -> JSONValue {
        var run: JSONValue = ["trigger": .string(trigger.name), "started_at": .string(ClusterRecord.timestamp(now))]
        switch trigger {
        case .scheduled(let tick): run["tick"] = .string(ClusterRecord.timestamp(tick))
        case .alert(let alert):
            run["alert"] = [
                "rule_id": .int(alert.rule), "target": .string(alert.target),
                "fired_at": alert.firedAt.map { .string(ClusterRecord.timestamp($0)) } ?? .null,
            ]
        case .manual(let subject), .dryRun(let subject): run["requested_by"] = .string(subject)
        }
        run["run_as"] = .string(task.creator.subject)
        do {
            let details = try await perform(task, dryRun: trigger.isDryRun, now: now, logger: logger)
            run["result"] = "succeeded"
            run["code"] = 0
            run["message"] = .string(trigger.isDryRun ? "preview only; nothing was changed" : "done")
            run["details"] = details
        } catch {
            let failure = (error as? APIError) ?? APIError(.internalError, APIError.reason(of: error))
            run["result"] = "failed"
            run["code"] = .int(Int64(failure.code.rawValue))
            run["message"] = .string(failure.message)
            if !failure.data.isNull { run["details"] = failure.data }
            logger.warning(
                "automation task failed",
                metadata: [
                    "task.id": "\(task.id)", "trigger": "\(trigger.name)", "code": "\(failure.code.rawValue)",
                    "reason": "\(failure.message)",
                ])
        }
        run["finished_at"] = .string(ClusterRecord.timestamp(Date()))
        do {
            let entry = try await store.appendEntry(.automationRun, owner: task.id, body: run)
            return Self.json(entry)
        } catch {
            logger.error("cannot record an automation run", metadata: ["task.id": "\(task.id)", "error": "\(error)"])
            return run
        }
    }

    /// A logged run as the API shows it.
    static func json(_ entry: DocumentEntry) -> JSONValue {
        var json = entry.body
        json["id"] = .int(entry.id)
        json["recorded_at"] = .string(ClusterRecord.timestamp(entry.createdAt))
        return json
    }

    /// The action itself; with `dryRun`, every upstream write is a server-side dry run
    /// (`dryRun=All`). Answers what was (or would be) sent and the target's state before and after.
    func perform(_ task: AutomationTask, dryRun: Bool, now: Date, logger: Logger) async throws -> JSONValue {
        guard task.creator.role >= .operator else {
            throw APIError.forbidden(
                "the task runs as \(task.creator.subject), whose role \(task.creator.role) changes nothing")
        }
        if task.action == .applyTemplate {
            return try await applyTemplate(task, dryRun: dryRun, logger: logger)
        }
        guard let plural = task.resource, let resource = ResourceCatalog.standard.resource(named: plural),
            let name = task.target
        else { throw APIError.invalidArgument("the task names no object to act on") }
        let input = OperationInput(
            principal: task.creator, pathParameters: [:], query: ["cluster_id": String(task.cluster)], body: nil,
            logger: logger)
        let namespace = resource.namespaced ? task.namespace : nil
        return try await access.call(input, verb: .update) { record, client in
            let object = try await client.get(resource, namespace: namespace, name: name)
            guard let plan = Self.plan(task, object: object, now: now) else { throw APIError.internalError }
            _ = try await client.patch(
                resource, namespace: namespace, name: name, patch: plan.patch, type: .merge,
                subresource: plan.subresource, dryRun: dryRun)
            if !dryRun {
                access.lists?.noteWrite(cluster: record.id, resource: resource.plural)
                logger.info(
                    "automation task ran",
                    metadata: [
                        "task.id": "\(task.id)", "action": "\(task.action.rawValue)", "cluster.id": "\(record.id)",
                    ])
            }
            return [
                "dry_run": .bool(dryRun), "action": .string(task.action.rawValue),
                "target": [
                    "apiVersion": .string(resource.apiVersion), "kind": .string(resource.kind),
                    "namespace": namespace.map { .string($0) } ?? .null, "name": .string(name),
                ],
                "request": [
                    "method": "PATCH",
                    "path": .string(
                        resource.objectPath(namespace: namespace, name: name, subresource: plan.subresource)),
                    "content_type": .string(PatchType.merge.contentType), "body": plan.patch,
                ],
                "current": plan.current, "planned": plan.planned, "changes": .bool(plan.current != plan.planned),
            ]
        }
    }

    /// What a scale, restart or cordon sends, and the fields it changes as they are and will be.
    struct Plan: Sendable, Hashable {
        var patch: JSONValue
        var subresource: String?
        var current: JSONValue
        var planned: JSONValue
    }

    /// The plan of a scale, restart or cordon of `object` (as read now); `nil` for a template.
    static func plan(_ task: AutomationTask, object: JSONValue, now: Date) -> Plan? {
        switch task.action {
        case .scale:
            let replicas = JSONValue.int(task.replicas ?? 0)
            return Plan(
                patch: ["spec": ["replicas": replicas]], subresource: "scale",
                current: ["spec": ["replicas": object["spec"]?["replicas"] ?? .int(1)]],
                planned: ["spec": ["replicas": replicas]])
        case .restart:
            let stamp = JSONValue.string(ClusterRecord.timestamp(now))
            let previous = object["spec"]?["template"]?["metadata"]?["annotations"]?[restartedAt] ?? .null
            return Plan(
                patch: ["spec": ["template": ["metadata": ["annotations": [restartedAt: stamp]]]]], subresource: nil,
                current: ["spec": ["template": ["metadata": ["annotations": [restartedAt: previous]]]]],
                planned: ["spec": ["template": ["metadata": ["annotations": [restartedAt: stamp]]]]])
        case .cordon:
            return Plan(
                patch: ["spec": ["unschedulable": true]], subresource: nil,
                current: ["spec": ["unschedulable": object["spec"]?["unschedulable"] ?? false]],
                planned: ["spec": ["unschedulable": true]])
        case .applyTemplate:
            return nil
        }
    }

    /// Applies the task's template through ``TemplateApplier`` (its own dry run first); a preview
    /// adds the rendered objects.
    private func applyTemplate(_ task: AutomationTask, dryRun: Bool, logger: Logger) async throws -> JSONValue {
        guard let id = task.template, let namespace = task.namespace else {
            throw APIError.invalidArgument("the task names no template or namespace")
        }
        let template = try await templates.template(id)
        var outcome = try await templates.applier.apply(
            template, values: task.values, cluster: String(task.cluster), namespace: namespace, as: task.creator,
            logger: logger, dryRun: dryRun)
        outcome["template_id"] = .int(id)
        if dryRun { outcome["planned"] = .array(try template.render(task.values)) }
        return outcome
    }
}
