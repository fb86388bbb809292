import GaleJSON
import HTTPTypes
import KubeClient

/// The seed operations beyond create/read/update/delete: pod restart, logs, events, metrics and
/// terminal tickets; workload scale, rollback and revisions; node scheduling, drain and metrics;
/// namespace quotas and limit ranges; cluster metrics (§9) and events (§10).
struct SpecialOperations: Sendable {
    let access: ClusterAccess
    let confirmations: ConfirmationGate
    let terminals: TerminalTickets
    let history: MetricsHistory
    let reviews: AccessReviews
    /// `ws://HOST:PORT`, the origin terminal URLs are built on when a request does not tell its own.
    let webSocketOrigin: String
    /// Node terminals' debug pods.
    var terminal = TerminalConfiguration()

    var operations: [Operation] {
        PodOperations(access: access, confirmations: confirmations, terminals: terminals, webSocketOrigin: webSocketOrigin)
            .operations
            + WorkloadOperations(access: access).operations
            + NodeOperations(access: access, confirmations: confirmations).operations
            + NodeTerminalOperations(
                access: access, terminals: terminals, webSocketOrigin: webSocketOrigin, configuration: terminal
            ).operations
            + EventOperations(access: access).operations
            + MetricsOperations(access: access, history: history, reviews: reviews).operations
            + namespacePolicyOperations
    }

    /// §8.5 and §8.6: the quotas and limit ranges of one namespace, as the paged lists of
    /// `/resourcequotas` would be with `namespace` set (keyword and selectors included).
    private var namespacePolicyOperations: [Operation] {
        let lists = ResourceOperations(access: access, confirmations: confirmations)
        return ["resourcequotas", "limitranges"].map { plural in
            let resource = ResourceCatalog.standard.resource(named: plural)!
            let path = PathTemplate("/namespaces/{name}/\(plural)")
            return Operation(.get, path, role: .viewer, action: "list \(plural) of a namespace") { input in
                let namespace = try input.string("name")
                var parameters = input.pathParameters
                parameters["namespace"] = namespace
                let scoped = OperationInput(
                    principal: input.principal, pathParameters: parameters, query: input.query, body: input.body,
                    logger: input.logger, origin: input.origin)
                return try await lists.list(resource, scoped)
            }
        }
    }

    /// One page of `items`, in the seed's `{items, total, page, pageSize}` form.
    static func page(_ items: [JSONValue], _ paging: Paging) -> JSONValue {
        paging.envelope(items: Array(items.dropFirst(paging.offset).prefix(paging.pageSize)), total: items.count)
    }

    /// The namespace a namespaced operation addresses: the parameter, else `default`.
    static func namespace(_ input: OperationInput) throws(APIError) -> String {
        guard let namespace = try input.optionalString("namespace"), !namespace.isEmpty else { return "default" }
        return namespace
    }

    /// An optional namespace filter: `nil` (all namespaces) when absent or empty.
    static func namespaceFilter(_ input: OperationInput) throws(APIError) -> String? {
        guard let namespace = try input.optionalString("namespace"), !namespace.isEmpty else { return nil }
        return namespace
    }

    /// Fails with 1003 when `namespace` does not exist: the apiserver lists a missing namespace as empty.
    static func requireNamespace(_ namespace: String?, client: KubeClient) async throws {
        guard let namespace else { return }
        _ = try await client.get(ResourceCatalog.namespaces, namespace: nil, name: namespace)
    }

    /// `metadata.name` of an object.
    static func name(_ object: JSONValue) -> String { object["metadata"]?["name"]?.stringValue ?? "" }
}
