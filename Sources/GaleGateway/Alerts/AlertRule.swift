import Foundation
import GaleJSON

extension DocumentKind {
    /// Alert rules (``AlertRule``), one document each.
    static let alertRule = DocumentKind("alert-rule")
    /// The state changes of every rule's alerts (pending, firing, resolved), owned by the rule.
    static let alertHistory = DocumentKind("alert-history")
}

/// A rule of the alerting feature: a condition over one cluster's objects, events or metrics
/// that must hold for ``duration`` before its alert fires, with a severity and an optional
/// webhook to notify. Stored as the body of an ``DocumentKind/alertRule`` document.
struct AlertRule: ClusterScopedDocument, Hashable {
    static let kind = DocumentKind.alertRule
    static let noun = "alert rule"

    /// What is looked at.
    enum Condition: String, Sendable, CaseIterable {
        /// A container of a pod restarted at least `threshold` times.
        case podRestarts = "pod_restarts"
        /// A container of a pod is waiting in `CrashLoopBackOff`.
        case crashLoop = "crash_loop"
        /// A node's `Ready` condition is not `True`.
        case nodeNotReady = "node_not_ready"
        /// A Deployment has fewer available replicas than it wants.
        case deploymentUnavailable = "deployment_unavailable"
        /// An event matching `reason`/`event_type` was counted at least `threshold` times.
        case event
        /// The cluster's CPU usage, in percent of allocatable, reached `threshold`.
        case cpuUsage = "cpu_usage"
        /// The cluster's memory usage, in percent of allocatable, reached `threshold`.
        case memoryUsage = "memory_usage"
    }

    enum Severity: String, Sendable, CaseIterable {
        case info, warning, critical
    }

    var id: Int64 = 0
    var name: String
    var cluster: Int64
    var condition: Condition
    /// Restarts, event count or percent, by condition.
    var threshold: Double
    /// Only objects and events of this namespace; `nil` for all.
    var namespace: String?
    /// For ``Condition/event``: the event's reason and type (`Normal`, `Warning`) to match.
    var reason: String?
    var eventType: String?
    /// How long the condition must hold before the alert fires.
    var duration: Duration
    var severity: Severity
    /// Where firing and resolved alerts are posted; `nil` for none.
    var webhook: URL?
    var enabled: Bool
    /// Who created the rule.
    var creator: String

    /// The stored body.
    var body: JSONValue {
        var body: JSONValue = [
            "cluster_id": .int(cluster), "condition": .string(condition.rawValue), "threshold": .double(threshold),
            "for_seconds": .int(duration.components.seconds), "severity": .string(severity.rawValue),
            "enabled": .bool(enabled), "creator": .string(creator),
        ]
        if let namespace { body["namespace"] = .string(namespace) }
        if let reason { body["reason"] = .string(reason) }
        if let eventType { body["event_type"] = .string(eventType) }
        if let webhook { body["webhook_url"] = .string(webhook.absoluteString) }
        return body
    }

    /// A rule read back from its document (which only this gateway writes); `nil` when unreadable.
    init?(_ document: StoredDocument) {
        let body = document.body
        guard let cluster = body["cluster_id"]?.intValue,
            let condition = body["condition"]?.stringValue.flatMap(Condition.init(rawValue:)),
            let severity = body["severity"]?.stringValue.flatMap(Severity.init(rawValue:))
        else { return nil }
        self.init(
            id: document.id, name: document.name, cluster: cluster, condition: condition,
            threshold: body["threshold"]?.doubleValue ?? 0, namespace: body["namespace"]?.stringValue,
            reason: body["reason"]?.stringValue, eventType: body["event_type"]?.stringValue,
            duration: .seconds(body["for_seconds"]?.intValue ?? 0), severity: severity,
            webhook: body["webhook_url"]?.stringValue.flatMap(URL.init(string:)),
            enabled: body["enabled"]?.boolValue ?? true, creator: body["creator"]?.stringValue ?? "")
    }

    init(
        id: Int64 = 0, name: String, cluster: Int64, condition: Condition, threshold: Double, namespace: String? = nil,
        reason: String? = nil, eventType: String? = nil, duration: Duration = .zero, severity: Severity = .warning,
        webhook: URL? = nil, enabled: Bool = true, creator: String = ""
    ) {
        self.id = id
        self.name = name
        self.cluster = cluster
        self.condition = condition
        self.threshold = threshold
        self.namespace = namespace
        self.reason = reason
        self.eventType = eventType
        self.duration = duration
        self.severity = severity
        self.webhook = webhook
        self.enabled = enabled
        self.creator = creator
    }

    /// The rule as the API shows it.
    static func json(_ document: StoredDocument) -> JSONValue {
        var json = document.body
        json["id"] = .int(document.id)
        json["name"] = .string(document.name)
        json["revision"] = .int(document.revision)
        json["created_at"] = .string(ClusterRecord.timestamp(document.createdAt))
        json["updated_at"] = .string(ClusterRecord.timestamp(document.updatedAt))
        return json
    }
}
