import Foundation
import GaleJSON

extension AutomationTask {
    /// Longest task name accepted.
    static let maxNameLength = 128
    /// Most replicas a scale may set.
    static let maxReplicas: Int64 = 10_000
    /// Largest `values` of a template action, as compact JSON.
    static let maxValuesBytes = 64 << 10

    /// The workload kinds each action takes; the first is the default.
    static func resources(of action: Action) -> [String] {
        switch action {
        case .scale: ["deployments", "statefulsets"]
        case .restart: ["deployments", "statefulsets", "daemonsets"]
        case .cordon: ["nodes"]
        case .applyTemplate: []
        }
    }

    /// A task from the parameters of a create or update call, validated (1001 otherwise), to run
    /// as `creator`. `existing` gives the values of fields an update leaves out; `schedule` and
    /// `alert_rule_id` are the trigger and go together: giving either replaces it.
    init(_ input: OperationInput, creator: Principal, existing: AutomationTask? = nil) throws(APIError) {
        let name = try Self.text(input, "name") ?? existing?.name ?? ""
        guard !name.isEmpty, name.count <= Self.maxNameLength,
            name.allSatisfy({ $0.isLetter || $0.isNumber || "-_. ".contains($0) })
        else {
            throw .invalidArgument(
                "parameter \"name\" must be 1 to \(Self.maxNameLength) letters, digits, spaces, '-', '_' or '.'")
        }
        guard let cluster = try input.optionalInt("cluster_id") ?? existing?.cluster else {
            throw .invalidArgument("missing parameter \"cluster_id\"")
        }
        let actionName = try Self.text(input, "action") ?? existing?.action.rawValue
        guard let actionName, let action = Action(rawValue: actionName) else {
            throw .invalidArgument(
                "parameter \"action\" must be one of " + Action.allCases.map(\.rawValue).joined(separator: ", "))
        }
        // Fields of the previous action carry over only while the action stays the same.
        let kept = existing?.action == action ? existing : nil
        var resource: String?
        var namespace = try input.optionalString("namespace") ?? kept?.namespace
        var target: String?
        var replicas: Int64?
        var template: Int64?
        var values: JSONValue?
        switch action {
        case .scale, .restart, .cordon:
            let allowed = Self.resources(of: action)
            let chosen = try Self.text(input, "resource") ?? kept?.resource ?? allowed[0]
            guard allowed.contains(chosen) else {
                throw .invalidArgument(
                    "parameter \"resource\" of \(action.rawValue) must be " + allowed.joined(separator: " or "))
            }
            resource = chosen
            target = try Self.text(input, "target") ?? kept?.target
            guard let name = target, !name.isEmpty else { throw .invalidArgument("missing parameter \"target\"") }
            if let problem = ParameterSyntax.pathSegmentProblem(name) {
                throw .invalidArgument("parameter \"target\" \(problem)")
            }
            if action == .cordon {
                namespace = nil
            } else if namespace?.isEmpty ?? true {
                throw .invalidArgument("missing parameter \"namespace\"")
            }
            if action == .scale {
                replicas = try input.optionalInt("replicas") ?? kept?.replicas
                guard let count = replicas, (0...Self.maxReplicas).contains(count) else {
                    throw .invalidArgument("parameter \"replicas\" must be between 0 and \(Self.maxReplicas)")
                }
            }
        case .applyTemplate:
            template = try input.optionalInt("template_id") ?? kept?.template
            guard template != nil else { throw .invalidArgument("missing parameter \"template_id\"") }
            guard namespace?.isEmpty == false else { throw .invalidArgument("missing parameter \"namespace\"") }
            values = input.value("values") ?? kept?.values
            if let given = values {
                guard given.objectValue != nil else {
                    throw .invalidArgument("parameter \"values\" must be an object of parameter name to value")
                }
                guard given.storedText.utf8.count <= Self.maxValuesBytes else {
                    throw .invalidArgument("parameter \"values\" is larger than \(Self.maxValuesBytes >> 10) KiB")
                }
            }
        }
        var schedule = existing?.schedule
        var alertRule = existing?.alertRule
        if input.value("schedule") != nil || input.value("alert_rule_id") != nil {
            schedule = try Self.text(input, "schedule").flatMap { $0.isEmpty ? nil : $0 }
            alertRule = try input.optionalInt("alert_rule_id")
        }
        guard (schedule == nil) != (alertRule == nil) else {
            throw .invalidArgument("give exactly one of \"schedule\" (cron, 5 fields) and \"alert_rule_id\"")
        }
        let timeZone = try Self.text(input, "time_zone") ?? existing?.timeZone ?? "UTC"
        if let schedule {
            _ = try CronSchedule(schedule, timeZone: timeZone)
        } else if TimeZone(identifier: timeZone) == nil {
            throw CronSchedule.unknownTimeZone
        }
        self.init(
            name: name, cluster: cluster, action: action, resource: resource, namespace: namespace, target: target,
            replicas: replicas, template: template, values: values, schedule: schedule, timeZone: timeZone,
            alertRule: alertRule, enabled: try input.optionalBool("enabled") ?? existing?.enabled ?? true,
            creator: creator)
    }

    /// A text parameter taken as given (its syntax is checked by the caller).
    private static func text(_ input: OperationInput, _ name: String) throws(APIError) -> String? {
        switch input.value(name) {
        case nil: return nil
        case .string(let text)?: return text
        case let other?: throw .invalidArgument("parameter \"\(name)\" must be a string, not \(other.typeName)")
        }
    }
}
