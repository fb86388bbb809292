import Foundation
import GaleJSON

extension DocumentKind {
    /// Automation tasks (``AutomationTask``), one document each.
    static let automationTask = DocumentKind("automation-task")
    /// The runs of every task (scheduled, triggered, manual or dry), owned by the task.
    static let automationRun = DocumentKind("automation-run")
    /// The claims of every task's schedule ticks and alert firings, so that one replica runs each.
    static let automationClaim = DocumentKind("automation-claim")
}

/// An action run on a schedule (cron, in a time zone) or when an alert rule fires, as the user
/// who created it (or last changed it): their subject, role, cluster scope and groups are stored
/// with the task, and every run goes upstream under that identity.
struct AutomationTask: ClusterScopedDocument, Hashable {
    static let kind = DocumentKind.automationTask
    static let noun = "automation task"

    enum Action: String, Sendable, CaseIterable {
        /// Sets a Deployment's or StatefulSet's replicas (through its `scale` subresource).
        case scale
        /// Restarts a Deployment, StatefulSet or DaemonSet the way `kubectl rollout restart` does.
        case restart
        /// Marks a node unschedulable, as `kubectl cordon` does.
        case cordon
        /// Applies a resource template to a namespace (``TemplateApplier``).
        case applyTemplate = "apply_template"
    }

    var id: Int64 = 0
    var name: String
    var cluster: Int64
    var action: Action
    /// `deployments`, `statefulsets` or `daemonsets`; `nodes` for cordon; `nil` for a template.
    var resource: String?
    /// The workload's namespace, or the one a template is applied to; `nil` for cordon.
    var namespace: String?
    /// The workload's or node's name; `nil` for a template.
    var target: String?
    /// For ``Action/scale``.
    var replicas: Int64?
    /// For ``Action/applyTemplate``: the template's id (built-ins negative) and its values.
    var template: Int64?
    var values: JSONValue?
    /// A cron schedule (``CronSchedule``), or `nil` when the task is triggered by ``alertRule``.
    var schedule: String?
    var timeZone: String
    /// The alert rule whose firing alerts trigger the task.
    var alertRule: Int64?
    var enabled: Bool
    /// Who the task runs as.
    var creator: Principal

    /// The stored body.
    var body: JSONValue {
        var body: JSONValue = [
            "cluster_id": .int(cluster), "action": .string(action.rawValue), "time_zone": .string(timeZone),
            "enabled": .bool(enabled),
            "creator": [
                "subject": .string(creator.subject), "role": .string(creator.role.rawValue),
                "clusters": .array(creator.clusters.claim.map(JSONValue.string)),
                "groups": .array(creator.groups.map(JSONValue.string)),
            ],
        ]
        if let resource { body["resource"] = .string(resource) }
        if let namespace { body["namespace"] = .string(namespace) }
        if let target { body["target"] = .string(target) }
        if let replicas { body["replicas"] = .int(replicas) }
        if let template { body["template_id"] = .int(template) }
        if let values { body["values"] = values }
        if let schedule { body["schedule"] = .string(schedule) }
        if let alertRule { body["alert_rule_id"] = .int(alertRule) }
        return body
    }

    init(
        id: Int64 = 0, name: String, cluster: Int64, action: Action, resource: String? = nil, namespace: String? = nil,
        target: String? = nil, replicas: Int64? = nil, template: Int64? = nil, values: JSONValue? = nil,
        schedule: String? = nil, timeZone: String = "UTC", alertRule: Int64? = nil, enabled: Bool = true,
        creator: Principal
    ) {
        self.id = id
        self.name = name
        self.cluster = cluster
        self.action = action
        self.resource = resource
        self.namespace = namespace
        self.target = target
        self.replicas = replicas
        self.template = template
        self.values = values
        self.schedule = schedule
        self.timeZone = timeZone
        self.alertRule = alertRule
        self.enabled = enabled
        self.creator = creator
    }

    /// A task read back from its document (which only this gateway writes); `nil` when unreadable.
    init?(_ document: StoredDocument) {
        let body = document.body
        guard let cluster = body["cluster_id"]?.intValue,
            let action = body["action"]?.stringValue.flatMap(Action.init(rawValue:)),
            let creator = body["creator"], let subject = creator["subject"]?.stringValue,
            let role = creator["role"]?.stringValue.flatMap(Role.init(rawValue:))
        else { return nil }
        let clusters = (creator["clusters"]?.arrayValue ?? []).compactMap(\.stringValue)
        self.init(
            id: document.id, name: document.name, cluster: cluster, action: action,
            resource: body["resource"]?.stringValue, namespace: body["namespace"]?.stringValue,
            target: body["target"]?.stringValue, replicas: body["replicas"]?.intValue,
            template: body["template_id"]?.intValue, values: body["values"], schedule: body["schedule"]?.stringValue,
            timeZone: body["time_zone"]?.stringValue ?? "UTC", alertRule: body["alert_rule_id"]?.intValue,
            enabled: body["enabled"]?.boolValue ?? true,
            creator: Principal(
                subject: subject, role: role, clusters: .init(claim: clusters), expiresAt: .distantFuture,
                groups: (creator["groups"]?.arrayValue ?? []).compactMap(\.stringValue)))
    }

    /// The task as the API shows it: the creator's subject, role and cluster scope, not the
    /// groups of their token.
    static func json(_ document: StoredDocument) -> JSONValue {
        var json = document.body
        json["creator"]?["groups"] = nil
        json["id"] = .int(document.id)
        json["name"] = .string(document.name)
        json["revision"] = .int(document.revision)
        json["created_at"] = .string(ClusterRecord.timestamp(document.createdAt))
        json["updated_at"] = .string(ClusterRecord.timestamp(document.updatedAt))
        return json
    }
}
