import Foundation
import GaleJSON

/// What a logs subscription asks for: which pods, which of their containers, and which part of
/// their logs.
///
/// Built from the options of a `subscribe` frame by ``init(options:)``, which checks every
/// option and names it in its error, or member by member by the HTTP follow route.
struct LogRequest: Sendable, Hashable {
    /// Which pods the subscription follows.
    enum Pods: Sendable, Hashable {
        /// One pod (`name`).
        case named(String)
        /// Every pod matching a label selector (`labelSelector`).
        case selected(labelSelector: String)
        /// The pods of a workload (`workload: "deployment/web"`), found by its `spec.selector`.
        case workload(Workload)
    }

    /// A workload whose pods are followed.
    struct Workload: Sendable, Hashable {
        /// Resource plural (`deployments`, `statefulsets`, `daemonsets`, `jobs`, `replicasets`).
        let resource: String
        let name: String
    }

    /// Which containers of each pod.
    enum Containers: Sendable, Hashable {
        /// The pod's `kubectl.kubernetes.io/default-container`, else its first container (as kubectl).
        case preferred
        /// One container by name (`container`).
        case named(String)
        /// Every init and app container (`allContainers: true`).
        case all
    }

    var namespace: String
    var pods: Pods
    /// Narrows `labelSelector` and `workload` pods (`fieldSelector`).
    var fieldSelector: String?
    var containers: Containers = .preferred
    /// Only the last N lines of each log.
    var tailLines: Int?
    /// Only lines at or after this time.
    var sinceTime: Date?
    /// Only lines of the last N seconds.
    var sinceSeconds: Int?
    /// Whether clients want the time before each line (presentation only: the gateway always
    /// asks the apiserver for timestamps).
    var timestamps = false
    /// The previous, terminated instance of each container.
    var previous = false
    /// Keep following new lines.
    var follow = true
    /// Stop after this many bytes of each container's log (as presented).
    var limitBytes: Int?

    init(namespace: String, pods: Pods) {
        self.namespace = namespace
        self.pods = pods
    }

    /// Workload kinds a `workload` option may name, with their resource plurals.
    static let workloadKinds: KeyValuePairs<String, String> = [
        "deployment": "deployments", "statefulset": "statefulsets", "daemonset": "daemonsets", "job": "jobs",
        "replicaset": "replicasets",
    ]

    /// Options of a logs `subscribe` frame that are not stream options and are ignored here.
    private static let frameMembers: Set<String> = ["resource", "resourceVersion"]
    private static let known: [String] = [
        "namespace", "name", "labelSelector", "workload", "fieldSelector", "container", "allContainers", "tailLines",
        "sinceTime", "sinceSeconds", "timestamps", "previous", "follow", "limitBytes", "batch",
    ]

    /// Reads and checks the options of a logs subscription, exactly as the client sent them.
    /// `follow` defaults to true. Every failure is a 1001 naming the option.
    init(options: [String: JSONValue]) throws(APIError) {
        let reader = OptionReader(values: options)
        for name in options.keys.sorted() where !Self.known.contains(name) && !Self.frameMembers.contains(name) {
            throw .invalidArgument(
                "unknown option \"\(name)\" for a logs subscription; known options: \(Self.known.joined(separator: ", "))"
            )
        }
        if let resource = try reader.string("resource"), resource != "pods" {
            throw .invalidArgument("option \"resource\" of a logs subscription can only be \"pods\"")
        }
        guard let namespace = try reader.string("namespace") else {
            throw .invalidArgument("missing option \"namespace\"")
        }
        var choices: [(name: String, value: String)] = []
        for name in ["name", "labelSelector", "workload"] {
            if let value = try reader.string(name) { choices.append((name, value)) }
        }
        guard let choice = choices.first else {
            throw .invalidArgument(
                "a logs subscription needs one of the options \"name\", \"labelSelector\" or \"workload\"")
        }
        guard choices.count == 1 else {
            throw .invalidArgument(
                "options \"\(choices[0].name)\" and \"\(choices[1].name)\" cannot be combined; give one")
        }
        switch choice.name {
        case "name": pods = .named(choice.value)
        case "labelSelector": pods = .selected(labelSelector: choice.value)
        default: pods = .workload(try Self.workload(choice.value))
        }
        self.namespace = namespace
        fieldSelector = try reader.string("fieldSelector")
        if fieldSelector != nil, case .named = pods {
            throw .invalidArgument("option \"fieldSelector\" selects pods; it cannot be combined with \"name\"")
        }
        let container = try reader.string("container")
        let all = try reader.bool("allContainers") ?? false
        if container != nil, all {
            throw .invalidArgument("options \"container\" and \"allContainers\" cannot be combined; give one")
        }
        containers = all ? .all : container.map(Containers.named) ?? .preferred
        tailLines = try reader.int("tailLines", minimum: 0)
        sinceSeconds = try reader.int("sinceSeconds", minimum: 1)
        if let text = try reader.string("sinceTime") {
            guard let time = LogTimestamp(rfc3339: text.utf8) else {
                throw .invalidArgument("option \"sinceTime\" must be an RFC 3339 time such as 2024-01-02T03:04:05Z")
            }
            sinceTime = time.date
        }
        if sinceTime != nil, sinceSeconds != nil {
            throw .invalidArgument("options \"sinceTime\" and \"sinceSeconds\" cannot be combined; give one")
        }
        timestamps = try reader.bool("timestamps") ?? false
        previous = try reader.bool("previous") ?? false
        follow = try reader.bool("follow") ?? true
        limitBytes = try reader.int("limitBytes", minimum: 1)
    }

    /// `KIND/NAME` of a workload option.
    private static func workload(_ text: String) throws(APIError) -> Workload {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let kinds = workloadKinds.map(\.key).joined(separator: ", ")
        guard parts.count == 2, !parts[1].isEmpty,
            let resource = workloadKinds.first(where: { $0.key == parts[0].lowercased() })?.value
        else {
            throw .invalidArgument(
                "option \"workload\" must be KIND/NAME with KIND one of \(kinds), such as deployment/web")
        }
        return Workload(resource: resource, name: String(parts[1]))
    }

    /// Typed access to option values, accepting numbers and booleans also as strings.
    private struct OptionReader {
        let values: [String: JSONValue]

        /// A string option; empty strings count as absent.
        func string(_ name: String) throws(APIError) -> String? {
            switch values[name] {
            case nil, .null?: return nil
            case .string(let value)?:
                try ParameterSyntax.check(name, value)
                return value.isEmpty ? nil : value
            case let other?: throw .invalidArgument("option \"\(name)\" must be a string, not \(other.typeName)")
            }
        }

        func int(_ name: String, minimum: Int) throws(APIError) -> Int? {
            let number: Int64?
            switch values[name] {
            case nil, .null?: return nil
            case .string(let text)?: number = Int64(text)
            case let other?: number = other.intValue
            }
            guard let number, number >= minimum, number <= Int64(Int32.max) else {
                throw .invalidArgument("option \"\(name)\" must be an integer of at least \(minimum)")
            }
            return Int(number)
        }

        func bool(_ name: String) throws(APIError) -> Bool? {
            switch values[name] {
            case nil, .null?: return nil
            case .bool(let value)?: return value
            case .string("true")?: return true
            case .string("false")?: return false
            default: throw .invalidArgument("option \"\(name)\" must be true or false")
            }
        }
    }
}
