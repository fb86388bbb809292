import HTTPTypes

/// The pod and subresource a streaming upgrade (exec, attach, port-forward) names.
struct PodStreamRequest {
    let namespace: String?
    let name: String
    let subresource: String
    let query: QueryParameters

    /// Authorizes `head` like every request (`get` on the subresource for the upgrading GET) — a
    /// refused one is not upgraded, and the plain HTTP handler answers it with the same 401 or
    /// 403 — and reads which pod subresource it names; a 400 when it names none of `subresources`.
    init(_ head: HTTPRequest, gate: RequestGate, subresources: Set<String>) throws {
        let parts = (head.path ?? "/").split(separator: "?", maxSplits: 1)
        let query = QueryParameters(parts.count > 1 ? String(parts[1]) : nil)
        _ = try gate.admit(
            method: head.method.rawValue, path: String(parts.first ?? ""), query: query, headers: head.headerFields)
        guard let path = APIPath(String(parts.first ?? "")),
            case .resource(let type, let namespace, let name?, let subresource?) = path.target,
            type == ResourceCatalog.pods, subresources.contains(subresource)
        else {
            throw KubeStatusError.badRequest(
                "not a request for " + subresources.sorted().map { "pods/\($0)" }.joined(separator: " or "))
        }
        self.namespace = namespace
        self.name = name
        self.subresource = subresource
        self.query = query
    }
}
