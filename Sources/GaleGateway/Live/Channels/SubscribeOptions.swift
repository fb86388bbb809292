import GaleJSON
import GaleProtocol
import KubeClient

/// Typed access to the options of a `subscribe` frame, with the errors a client can act on.
struct SubscribeOptions: Sendable {
    let values: [String: JSONValue]

    init(_ subscribe: ClientFrame.Subscribe) {
        values = subscribe.options
    }

    /// A string option; empty strings count as absent.
    func string(_ name: String) throws(APIError) -> String? {
        switch values[name] {
        case nil, .null?: return nil
        case .string(let value)?:
            try ParameterSyntax.check(name, value)
            return value.isEmpty ? nil : value
        default: throw .invalidArgument("option \"\(name)\" must be a string")
        }
    }

    func requiredString(_ name: String) throws(APIError) -> String {
        guard let value = try string(name) else { throw .invalidArgument("missing option \"\(name)\"") }
        return value
    }

    /// Whether the client asked for its items in `events` batches (option `batch`, default false).
    var batch: Bool {
        get throws(APIError) {
            switch values["batch"] {
            case nil, .null?: return false
            case .bool(let value)?: return value
            default: throw .invalidArgument("option \"batch\" must be true or false")
            }
        }
    }

    /// An integer option within `range`.
    func int(_ name: String, in range: ClosedRange<Int64>) throws(APIError) -> Int64? {
        switch values[name] {
        case nil, .null?: return nil
        case .int(let value)?:
            guard range.contains(value) else {
                throw .invalidArgument("option \"\(name)\" must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return value
        case .string(let text)?:
            guard let value = Int64(text) else { throw .invalidArgument("option \"\(name)\" must be an integer") }
            guard range.contains(value) else {
                throw .invalidArgument("option \"\(name)\" must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return value
        default: throw .invalidArgument("option \"\(name)\" must be an integer")
        }
    }

    /// The watch a `watch` subscription names, and the resourceVersion it resumes from.
    func watchKey(cluster: Int64) throws(APIError) -> (key: WatchKey, resumeFrom: String?) {
        let plural = try requiredString("resource")
        guard let resource = ResourceCatalog.standard.resource(named: plural) else {
            throw .invalidArgument("unknown resource \"\(plural)\"")
        }
        let namespace = try string("namespace")
        if namespace != nil, !resource.namespaced {
            throw .invalidArgument("resource \"\(resource.plural)\" is cluster-scoped; leave out \"namespace\"")
        }
        let key = WatchKey(
            cluster: cluster, resource: resource.plural, namespace: namespace, name: try string("name"),
            labelSelector: try string("labelSelector"), fieldSelector: try string("fieldSelector"))
        return (key, try string("resourceVersion"))
    }

    /// The watch of Events an `events` subscription names: `namespace`, and the involved object
    /// by `kind` (or the seed's `resource_type`, a kind, plural or short name) and `name` (or
    /// `resource_name`).
    func eventsKey(cluster: Int64) throws(APIError) -> (key: WatchKey, resumeFrom: String?) {
        var fields: [String] = []
        let kind = try string("kind"), resourceType = try string("resource_type")
        if let kind = kind ?? resourceType {
            fields.append("involvedObject.kind=\(EventOperations.kind(of: kind))")
        }
        let name = try string("name"), resourceName = try string("resource_name")
        if let name = name ?? resourceName { fields.append("involvedObject.name=\(name)") }
        if let extra = try string("fieldSelector") { fields.append(extra) }
        let key = WatchKey(
            cluster: cluster, resource: "events", namespace: try string("namespace"), name: nil,
            labelSelector: try string("labelSelector"),
            fieldSelector: fields.isEmpty ? nil : fields.joined(separator: ","))
        return (key, try string("resourceVersion"))
    }
}
