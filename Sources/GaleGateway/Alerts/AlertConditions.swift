import Foundation
import GaleJSON

/// What each condition matches in a cluster's objects: target → what was seen. Pure, over the
/// objects of the shared watches and the latest metrics sample.
enum AlertConditions {
    /// The collection a condition reads, or `nil` for the metrics conditions.
    static func resource(of condition: AlertRule.Condition) -> String? {
        switch condition {
        case .podRestarts, .crashLoop: "pods"
        case .nodeNotReady: "nodes"
        case .deploymentUnavailable: "deployments"
        case .event: "events"
        case .cpuUsage, .memoryUsage: nil
        }
    }

    /// The targets of `rule` among `objects` (of ``resource(of:)``), or in `sample` for metrics.
    static func matches(_ rule: AlertRule, objects: [JSONValue], sample: ClusterSample?) -> [String: String] {
        var matches: [String: String] = [:]
        switch rule.condition {
        case .podRestarts:
            for pod in objects {
                let restarts = containerStatuses(pod).reduce(Int64(0)) { $0 + ($1["restartCount"]?.intValue ?? 0) }
                if Double(restarts) >= rule.threshold { matches[target("Pod", pod)] = "restarted \(restarts) times" }
            }
        case .crashLoop:
            for pod in objects {
                let looping = containerStatuses(pod).compactMap { status -> String? in
                    guard status["state"]?["waiting"]?["reason"]?.stringValue == "CrashLoopBackOff" else { return nil }
                    return status["name"]?.stringValue ?? "?"
                }
                if !looping.isEmpty {
                    matches[target("Pod", pod)] = "CrashLoopBackOff: \(looping.joined(separator: ", "))"
                }
            }
        case .nodeNotReady:
            for node in objects {
                let ready = (node["status"]?["conditions"]?.arrayValue ?? []).first { $0["type"] == "Ready" }
                let status = ready?["status"]?.stringValue ?? "Unknown"
                if status != "True" { matches[target("Node", node)] = "Ready is \(status)" }
            }
        case .deploymentUnavailable:
            for deployment in objects {
                let wanted = deployment["spec"]?["replicas"]?.intValue ?? 1
                let available = deployment["status"]?["availableReplicas"]?.intValue ?? 0
                if available < wanted {
                    matches[target("Deployment", deployment)] = "\(available) of \(wanted) replicas available"
                }
            }
        case .event:
            for event in objects {
                if let reason = rule.reason, event["reason"]?.stringValue != reason { continue }
                if let type = rule.eventType, event["type"]?.stringValue != type { continue }
                let count = event["count"]?.intValue ?? 1
                guard Double(count) >= rule.threshold else { continue }
                let involved = event["involvedObject"]
                let name =
                    "\(involved?["kind"]?.stringValue ?? "Object")/"
                    + [involved?["namespace"]?.stringValue, involved?["name"]?.stringValue].compactMap { $0 }
                    .joined(separator: "/")
                matches[name] = "\(event["reason"]?.stringValue ?? "event") seen \(count) times"
            }
        case .cpuUsage:
            if let sample, let percent = percent(sample.cpuUsage, of: sample.cpuAllocatable), percent >= rule.threshold {
                matches["cluster"] = "CPU at \(formatted(percent))% of allocatable"
            }
        case .memoryUsage:
            if let sample, let percent = percent(sample.memoryUsage, of: sample.memoryAllocatable),
                percent >= rule.threshold
            {
                matches["cluster"] = "memory at \(formatted(percent))% of allocatable"
            }
        }
        return matches
    }

    private static func containerStatuses(_ pod: JSONValue) -> [JSONValue] {
        (pod["status"]?["containerStatuses"]?.arrayValue ?? [])
            + (pod["status"]?["initContainerStatuses"]?.arrayValue ?? [])
    }

    private static func target(_ kind: String, _ object: JSONValue) -> String {
        let metadata = object["metadata"]
        return "\(kind)/"
            + [metadata?["namespace"]?.stringValue, metadata?["name"]?.stringValue].compactMap { $0 }
            .joined(separator: "/")
    }

    private static func percent(_ usage: Double?, of total: Double) -> Double? {
        guard let usage, total > 0 else { return nil }
        return usage / total * 100
    }

    private static func formatted(_ percent: Double) -> String {
        String(format: "%.1f", percent)
    }
}
