import GaleJSON
import HTTPTypes
import KubeClient

/// Seed §10: events, filtered by namespace and involved object, newest first.
struct EventOperations: Sendable {
    let access: ClusterAccess

    private static let resource = ResourceCatalog.standard.resource(named: "events")!

    var operations: [Operation] {
        [Operation(.get, "/events", role: .viewer, action: "list events", handler: list)]
    }

    /// `GET /events`: `namespace` (all when absent), `resource_type` (the involved object's kind;
    /// a plural or short name such as `pods` or `deploy` is accepted too), `resource_name`; paged.
    @Sendable func list(_ input: OperationInput) async throws -> JSONValue {
        let namespace = try SpecialOperations.namespaceFilter(input)
        let paging = try input.paging()
        let kind = try input.optionalString("resource_type").flatMap { $0.isEmpty ? nil : Self.kind(of: $0) }
        let name = try input.optionalString("resource_name").flatMap { $0.isEmpty ? nil : $0 }
        return try await access.call(input) { client in
            try await SpecialOperations.requireNamespace(namespace, client: client)
            let events = try await Self.events(client, namespace: namespace, kind: kind, name: name)
            return SpecialOperations.page(events, paging)
        }
    }

    /// The kind a `resource_type` names: `Pod`, `pod`, `pods` and `po` all mean `Pod`.
    static func kind(of type: String) -> String {
        ResourceCatalog.standard.resource(named: type)?.kind ?? type
    }

    /// Events about the object `kind/name` (and `uid`, when given) in `namespace` (all when `nil`),
    /// newest first. The selection is made by the apiserver's field selector, as `kubectl describe` does.
    static func events(
        _ client: KubeClient, namespace: String?, kind: String?, name: String?, uid: String? = nil
    ) async throws -> [JSONValue] {
        var fields: [String] = []
        if let kind { fields.append("involvedObject.kind=\(kind)") }
        if let name { fields.append("involvedObject.name=\(name)") }
        if let uid { fields.append("involvedObject.uid=\(uid)") }
        let list = try await client.list(
            resource, namespace: namespace,
            options: ListOptions(fieldSelector: fields.isEmpty ? nil : fields.joined(separator: ",")))
        return (list["items"]?.arrayValue ?? []).sorted { newer($0, than: $1) }
    }

    /// Orders events by when they last happened, then by resource version (both descending).
    static func newer(_ lhs: JSONValue, than rhs: JSONValue) -> Bool {
        let (left, right) = (time(lhs), time(rhs))
        if left != right { return left > right }
        return version(lhs) > version(rhs)
    }

    /// The last time an event happened, as RFC 3339 text (which sorts chronologically in UTC).
    private static func time(_ event: JSONValue) -> String {
        for key in ["lastTimestamp", "eventTime", "firstTimestamp"] {
            if let text = event[key]?.stringValue, !text.isEmpty { return text }
        }
        return event["metadata"]?["creationTimestamp"]?.stringValue ?? ""
    }

    private static func version(_ event: JSONValue) -> Int64 {
        event["metadata"]?["resourceVersion"]?.stringValue.flatMap { Int64($0) } ?? 0
    }
}
