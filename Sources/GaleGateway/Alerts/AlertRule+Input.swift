import Foundation
import GaleJSON

extension AlertRule {
    /// Longest rule name accepted.
    static let maxNameLength = 128
    /// Longest duration a condition may be asked to hold (one day).
    static let maxDurationSeconds: Int64 = 86_400
    /// Longest event reason matched (the apiserver's reasons are short CamelCase words).
    static let maxReasonLength = 128

    /// A rule from the parameters of a create or update call, validated (1001 otherwise).
    /// `existing` gives the values of fields an update leaves out.
    init(_ input: OperationInput, creator: String, existing: AlertRule? = nil) throws(APIError) {
        let name = try input.optionalString("name") ?? existing?.name ?? ""
        guard !name.isEmpty, name.count <= Self.maxNameLength,
            name.allSatisfy({ $0.isLetter || $0.isNumber || "-_. ".contains($0) })
        else {
            throw .invalidArgument(
                "parameter \"name\" must be 1 to \(Self.maxNameLength) letters, digits, spaces, '-', '_' or '.'")
        }
        guard let cluster = try input.optionalInt("cluster_id") ?? existing?.cluster else {
            throw .invalidArgument("missing parameter \"cluster_id\"")
        }
        let conditionName = try input.optionalString("condition") ?? existing?.condition.rawValue
        guard let conditionName, let condition = Condition(rawValue: conditionName) else {
            throw .invalidArgument(
                "parameter \"condition\" must be one of "
                    + Condition.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let threshold = try Self.number(input, "threshold") ?? existing?.threshold ?? condition.defaultThreshold
        switch condition {
        case .cpuUsage, .memoryUsage:
            guard (0...1000).contains(threshold) else {
                throw .invalidArgument("parameter \"threshold\" must be a percentage between 0 and 1000")
            }
        case .podRestarts, .event:
            guard (1...1_000_000).contains(threshold) else {
                throw .invalidArgument("parameter \"threshold\" must be a count between 1 and 1000000")
            }
        case .crashLoop, .nodeNotReady, .deploymentUnavailable:
            break
        }
        let seconds = try input.optionalInt("for_seconds") ?? existing?.duration.components.seconds ?? 0
        guard (0...Self.maxDurationSeconds).contains(seconds) else {
            throw .invalidArgument("parameter \"for_seconds\" must be between 0 and \(Self.maxDurationSeconds)")
        }
        let severityName = try input.optionalString("severity") ?? existing?.severity.rawValue ?? "warning"
        guard let severity = Severity(rawValue: severityName) else {
            throw .invalidArgument("parameter \"severity\" must be one of info, warning, critical")
        }
        let namespace = try input.optionalString("namespace") ?? existing?.namespace
        let reason = try Self.word(input, "reason") ?? existing?.reason
        let eventType = try Self.word(input, "event_type") ?? existing?.eventType
        if let eventType, !["Normal", "Warning"].contains(eventType) {
            throw .invalidArgument("parameter \"event_type\" must be Normal or Warning")
        }
        var webhook = existing?.webhook
        if let text = try Self.rawString(input, "webhook_url") {
            webhook = text.isEmpty ? nil : try WebhookTarget(text).url
        }
        self.init(
            name: name, cluster: cluster, condition: condition, threshold: threshold,
            namespace: namespace?.isEmpty == true ? nil : namespace, reason: reason, eventType: eventType,
            duration: .seconds(seconds), severity: severity, webhook: webhook,
            enabled: try input.optionalBool("enabled") ?? existing?.enabled ?? true,
            creator: existing?.creator ?? creator)
    }

    private static func number(_ input: OperationInput, _ name: String) throws(APIError) -> Double? {
        switch input.value(name) {
        case nil: return nil
        case .string(let text)?:
            guard let number = Double(text), number.isFinite else {
                throw .invalidArgument("parameter \"\(name)\" must be a number")
            }
            return number
        case let value?:
            guard let number = value.doubleValue else { throw .invalidArgument("parameter \"\(name)\" must be a number") }
            return number
        }
    }

    private static func rawString(_ input: OperationInput, _ name: String) throws(APIError) -> String? {
        switch input.value(name) {
        case nil: return nil
        case .string(let text)?: return text
        case let other?: throw .invalidArgument("parameter \"\(name)\" must be a string, not \(other.typeName)")
        }
    }

    /// A reason or type: letters and digits only, bounded.
    private static func word(_ input: OperationInput, _ name: String) throws(APIError) -> String? {
        guard let text = try rawString(input, name), !text.isEmpty else { return nil }
        guard text.count <= maxReasonLength, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw .invalidArgument("parameter \"\(name)\" must be up to \(maxReasonLength) ASCII letters and digits")
        }
        return text
    }
}

extension AlertRule.Condition {
    var defaultThreshold: Double {
        switch self {
        case .podRestarts: 3
        case .event: 1
        case .cpuUsage, .memoryUsage: 80
        case .crashLoop, .nodeNotReady, .deploymentUnavailable: 0
        }
    }
}
