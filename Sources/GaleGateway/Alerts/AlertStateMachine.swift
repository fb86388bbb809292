import Foundation
import GaleJSON

/// The alerts of every rule of one cluster, and how they move: a condition that starts to hold
/// makes its alert `pending`; once it has held for the rule's duration the alert is `firing`;
/// when it stops holding a firing alert is `resolved` (a pending one is dropped). Pure: the
/// evaluator passes in what matched and the time, and carries out the transitions returned.
struct AlertStateMachine: Sendable {
    enum State: String, Sendable {
        case pending, firing, resolved
    }

    /// One alert: a rule matched by one target (a pod, node, Deployment, event or the cluster).
    struct Alert: Sendable, Hashable {
        var rule: Int64
        var ruleName: String
        var cluster: Int64
        var severity: AlertRule.Severity
        /// What matched, as `kind/namespace/name` or `cluster`.
        var target: String
        /// What was seen, in words ("restarted 5 times").
        var detail: String
        var state: State
        /// When the condition started to hold.
        var since: Date
        var firedAt: Date?
        var resolvedAt: Date?

        var json: JSONValue {
            var json: JSONValue = [
                "rule_id": .int(rule), "rule_name": .string(ruleName), "cluster_id": .int(cluster),
                "severity": .string(severity.rawValue), "target": .string(target), "detail": .string(detail),
                "state": .string(state.rawValue), "since": .string(ClusterRecord.timestamp(since)),
            ]
            if let firedAt { json["fired_at"] = .string(ClusterRecord.timestamp(firedAt)) }
            if let resolvedAt { json["resolved_at"] = .string(ClusterRecord.timestamp(resolvedAt)) }
            return json
        }
    }

    /// A change of one alert's state, with the alert as it is afterwards.
    struct Transition: Sendable, Hashable {
        var from: State?
        var alert: Alert
    }

    private struct Key: Hashable {
        var rule: Int64
        var target: String
    }

    private var alerts: [Key: Alert] = [:]

    /// The pending and firing alerts, ordered by rule and target.
    var current: [Alert] {
        alerts.values.sorted { ($0.rule, $0.target) < ($1.rule, $1.target) }
    }

    /// Moves the alerts of `rule` given the targets that match it now (target → detail).
    mutating func evaluate(_ rule: AlertRule, matches: [String: String], now: Date) -> [Transition] {
        var transitions: [Transition] = []
        for (target, detail) in matches.sorted(by: { $0.key < $1.key }) {
            let key = Key(rule: rule.id, target: target)
            var alert =
                alerts[key]
                ?? Alert(
                    rule: rule.id, ruleName: rule.name, cluster: rule.cluster, severity: rule.severity, target: target,
                    detail: detail, state: .pending, since: now)
            let isNew = alerts[key] == nil
            alert.detail = detail
            alert.ruleName = rule.name
            alert.severity = rule.severity
            if isNew { transitions.append(Transition(from: nil, alert: alert)) }
            if alert.state == .pending, now.timeIntervalSince(alert.since) >= Self.seconds(rule.duration) {
                alert.state = .firing
                alert.firedAt = now
                transitions.append(Transition(from: .pending, alert: alert))
            }
            alerts[key] = alert
        }
        for (key, alert) in alerts where key.rule == rule.id && matches[key.target] == nil {
            transitions += end(key, alert, now: now)
        }
        return transitions
    }

    /// Ends the alerts of rules not in `rules` (deleted or disabled): firing ones resolve.
    mutating func retain(rules: Set<Int64>, now: Date) -> [Transition] {
        var transitions: [Transition] = []
        for (key, alert) in alerts where !rules.contains(key.rule) {
            transitions += end(key, alert, now: now)
        }
        return transitions
    }

    private mutating func end(_ key: Key, _ alert: Alert, now: Date) -> [Transition] {
        alerts[key] = nil
        guard alert.state == .firing else { return [] }
        var resolved = alert
        resolved.state = .resolved
        resolved.resolvedAt = now
        return [Transition(from: .firing, alert: resolved)]
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
