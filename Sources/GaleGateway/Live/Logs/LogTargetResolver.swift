import GaleJSON
import KubeClient

/// Finds the container logs a ``LogRequest`` names: the namespace must exist, then one pod by
/// name, or the pods of a label selector or of a workload's `spec.selector`, then the chosen
/// containers of each (see ``LogTarget/targets(in:request:strict:)``).
struct LogTargetResolver: Sendable {
    let client: KubeClient
    let request: LogRequest
    /// Most container logs one subscription may follow.
    let maxStreams: Int

    private static let pods = ResourceCatalog.standard.resource(named: "pods")!

    /// The targets in pod-name order, containers in pod order. Throws ``APIError`` for requests
    /// that cannot be served (1001) and `KubeError` for what the cluster answers (a missing
    /// namespace, pod or workload, forbidden, unreachable).
    func resolve() async throws -> [LogTarget] {
        try await SpecialOperations.requireNamespace(request.namespace, client: client)
        let pods: [JSONValue]
        let strict: Bool
        if case .named(let name) = request.pods {
            pods = [try await client.get(Self.pods, namespace: request.namespace, name: name)]
            strict = true
        } else {
            pods = try await selectedPods()
            strict = false
        }
        var targets: [LogTarget] = []
        for pod in pods {
            targets += try LogTarget.targets(in: pod, request: request, strict: strict)
        }
        if case .named(let container) = request.containers, !strict, !pods.isEmpty, targets.isEmpty {
            throw APIError.invalidArgument(
                "no pod selected in namespace \(request.namespace) has a container \"\(container)\" to read")
        }
        guard targets.count <= maxStreams else {
            throw APIError.invalidArgument(
                "the subscription would follow \(targets.count) container logs; at most \(maxStreams) are allowed "
                    + "(narrow \"labelSelector\", or name a \"container\")")
        }
        return targets
    }

    /// The pods the selection matches, by name; none for a named pod.
    func selectedPods() async throws -> [JSONValue] {
        guard let selector = try await labelSelector() else { return [] }
        return try await pods(matching: selector)
    }

    /// The pods of the namespace matching `selector` (and the request's `fieldSelector`), by name.
    func pods(matching selector: String) async throws -> [JSONValue] {
        let list = try await client.list(
            Self.pods, namespace: request.namespace,
            options: ListOptions(labelSelector: selector, fieldSelector: request.fieldSelector))
        return (list["items"]?.arrayValue ?? []).sorted {
            ($0["metadata"]?["name"]?.stringValue ?? "") < ($1["metadata"]?["name"]?.stringValue ?? "")
        }
    }

    /// The label selector of the pods: the option, or the workload's `spec.selector`.
    func labelSelector() async throws -> String? {
        switch request.pods {
        case .named: return nil
        case .selected(let selector): return selector
        case .workload(let workload):
            guard let resource = ResourceCatalog.standard.resource(named: workload.resource) else {
                throw APIError.invalidArgument("option \"workload\": unknown kind \(workload.resource)")
            }
            let object = try await client.get(resource, namespace: request.namespace, name: workload.name)
            return try Self.selector(object["spec"]?["selector"], of: "\(workload.resource)/\(workload.name)")
        }
    }

    /// A `LabelSelector` object (`matchLabels`, `matchExpressions`) as selector text.
    static func selector(_ selector: JSONValue?, of workload: String) throws(APIError) -> String {
        var terms: [String] = []
        for (key, value) in (selector?["matchLabels"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            terms.append("\(key)=\(value.stringValue ?? "")")
        }
        for expression in selector?["matchExpressions"]?.arrayValue ?? [] {
            guard let key = expression["key"]?.stringValue else { continue }
            let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
            switch expression["operator"]?.stringValue {
            case "In": terms.append("\(key) in (\(values))")
            case "NotIn": terms.append("\(key) notin (\(values))")
            case "Exists": terms.append(key)
            case "DoesNotExist": terms.append("!\(key)")
            default: continue
            }
        }
        guard !terms.isEmpty else {
            throw APIError.invalidArgument("\(workload) has no pod selector to follow logs by")
        }
        return terms.joined(separator: ",")
    }
}
