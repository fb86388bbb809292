import GaleJSON
import GaleProtocol
import HTTPTypes
import KubeClient

/// `GET /clusters/overview`: the state of several clusters at a glance — for each, its status
/// and version, nodes (total and ready), pods by phase, and its most recent Warning events.
///
/// Counts come from the shared watches' caches where they may serve them (one watch of the
/// cluster's pods, nodes and Warning events, shared with every other view), read with the user's
/// RBAC. A cluster that cannot be read reports its error in its own entry.
struct ClusterOverview: Sendable {
    let access: ClusterAccess

    /// Most Warning events one cluster's entry may list.
    static let maxWarnings = 50

    var operations: [Operation] {
        [
            Operation(.get, "/clusters/overview", role: .viewer, action: "read cluster overviews") { input in
                try await overview(input)
            }
        ]
    }

    /// Parameters: `cluster_id` (a list or `*`, the default) and `warnings` (0…50, default 10).
    func overview(_ input: OperationInput) async throws -> JSONValue {
        let selection = try ClusterSelection(try input.optionalString("cluster_id") ?? "*")
        let warnings = try input.optionalInt("warnings") ?? 10
        guard (0...Int64(Self.maxWarnings)).contains(warnings) else {
            throw APIError.invalidArgument("parameter \"warnings\" must be between 0 and \(Self.maxWarnings)")
        }
        let members = try await selection.members(for: input.principal, registry: access.registry)
        let principal = input.principal
        let reader = ClusterObjects(access: access)
        let outcomes = await MergedListOperations.perCluster(members, input: input) { record in
            let client = try await access.connections.client(for: record, as: principal)
            async let nodes = reader.list(
                Self.nodes, namespace: nil, record: record, client: client, principal: principal)
            async let pods = reader.list(
                Self.pods, namespace: nil, record: record, client: client, principal: principal)
            async let events = reader.list(
                Self.events, namespace: nil, fieldSelector: "type=Warning", record: record, client: client,
                principal: principal)
            return Self.summary(
                nodes: try await nodes, pods: try await pods, events: try await events, warnings: Int(warnings))
        }
        var items: [JSONValue] = []
        for outcome in outcomes {
            guard
                case .object(var entry) = ClusterSelection.report(
                    id: outcome.id, name: outcome.name, error: outcome.error)
            else { continue }
            if case .cluster(let record)? = members.first(where: { $0.id == outcome.id }) {
                entry["name"] = .string(record.name)
                entry["cluster_status"] = .string(record.status)
                entry["version"] = .string(record.version)
            }
            for (key, value) in outcome.value?.objectValue ?? [:] { entry[key] = value }
            items.append(.object(entry))
        }
        return ["items": .array(items), "total": .int(Int64(items.count))]
    }

    /// The counts and warnings of one cluster, from its objects.
    static func summary(nodes: [JSONValue], pods: [JSONValue], events: [JSONValue], warnings: Int) -> JSONValue {
        let ready = nodes.filter { node in
            (node["status"]?["conditions"]?.arrayValue ?? []).contains {
                $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
            }
        }.count
        var phases: [String: JSONValue] = [:]
        for pod in pods {
            let phase = pod["status"]?["phase"]?.stringValue ?? "Unknown"
            phases[phase] = .int((phases[phase]?.intValue ?? 0) + 1)
        }
        let recent = events.sorted { time(of: $0) > time(of: $1) }.prefix(warnings).map { event -> JSONValue in
            [
                "namespace": event["metadata"]?["namespace"] ?? .null,
                "kind": event["involvedObject"]?["kind"] ?? .null,
                "name": event["involvedObject"]?["name"] ?? .null,
                "reason": event["reason"] ?? .null,
                "message": event["message"] ?? .null,
                "count": event["count"] ?? .int(1),
                "time": .string(time(of: event)),
            ]
        }
        return [
            "nodes": ["total": .int(Int64(nodes.count)), "ready": .int(Int64(ready))],
            "pods": ["total": .int(Int64(pods.count)), "phases": .object(phases)],
            "warnings": .array(recent),
        ]
    }

    /// When an event last happened (RFC 3339 strings of one format sort by time).
    static func time(of event: JSONValue) -> String {
        for value in [
            event["lastTimestamp"], event["eventTime"], event["series"]?["lastObservedTime"],
            event["metadata"]?["creationTimestamp"],
        ] {
            if let text = value?.stringValue, !text.isEmpty { return text }
        }
        return ""
    }

    private static let nodes = ResourceCatalog.standard.resource(named: "nodes")!
    private static let pods = ResourceCatalog.standard.resource(named: "pods")!
    private static let events = ResourceCatalog.standard.resource(named: "events")!
}
