import GaleJSON
import GaleProtocol
import KubeClient
import Logging

/// Applies a template to one namespace of one cluster as one operation: every rendered object is
/// first created with a server-side dry run (`dryRun=All`), and only when all of them pass are
/// they created for real, one by one. Each call goes upstream as the calling user (the same
/// ``ClusterAccess`` path, and so the same impersonation, as the resource operations).
struct TemplateApplier: Sendable {
    let access: ClusterAccess

    /// Renders `template` with `values` and creates its objects in `namespace` of the cluster
    /// `cluster` (its registry id) as `principal` — the entry point for other features (automation
    /// tasks) as for `POST /templates/{id}/apply`.
    ///
    /// The principal needs the operator role and the cluster in its token's scope (1005
    /// otherwise); a missing cluster is 1002, a missing namespace 1003, bad values 1001 naming the
    /// parameter. With `dryRun` it stops after the dry run. Answers `{applied, dry_run, cluster_id,
    /// namespace, results}`, where each result is `{apiVersion, kind, name, namespace, ok, code,
    /// message}`; when an object fails, throws 1007 with the same `data` (`applied` false, and
    /// nothing created when it was the dry run that failed).
    func apply(
        _ template: ResourceTemplate, values: JSONValue?, cluster: String, namespace: String,
        as principal: Principal, logger: Logger, dryRun: Bool = false
    ) async throws -> JSONValue {
        guard principal.role >= .operator else {
            throw APIError.forbidden("role \(principal.role) may not apply templates")
        }
        guard !namespace.isEmpty else { throw APIError.invalidArgument("missing parameter \"namespace\"") }
        try ParameterSyntax.check("namespace", namespace)
        let planned = try template.render(values).map { object throws(APIError) -> Planned in
            let apiVersion = object["apiVersion"]?.stringValue ?? ""
            let kind = object["kind"]?.stringValue ?? ""
            guard let resource = ResourceCatalog.standard.resource(apiVersion: apiVersion, kind: kind) else {
                throw .invalidArgument("\(kind) of \(apiVersion) is not a known kind")
            }
            var object = object
            if resource.namespaced { object["metadata"]?["namespace"] = .string(namespace) }
            return Planned(resource: resource, object: object, namespace: resource.namespaced ? namespace : nil)
        }
        let input = OperationInput(
            principal: principal, pathParameters: [:], query: ["cluster_id": cluster], body: nil, logger: logger)
        return try await access.call(input, verb: .create) { record, client in
            _ = try await client.get(ResourceCatalog.namespaces, namespace: nil, name: namespace)
            var results: [JSONValue] = []
            for item in planned {
                results.append(
                    try await attempt(item) {
                        try await client.create(
                            item.resource, namespace: item.namespace, object: item.object, dryRun: true)
                    })
            }
            let failed = results.filter { $0["ok"] == false }.count
            guard failed == 0 else {
                throw APIError(
                    .createFailed, "\(failed) of \(planned.count) objects failed the dry run; nothing was created",
                    data: outcome(applied: false, dryRun: true, cluster: cluster, namespace: namespace, results))
            }
            if dryRun { return outcome(applied: false, dryRun: true, cluster: cluster, namespace: namespace, results) }
            defer {
                for plural in Set(planned.map(\.resource.plural)) {
                    access.lists?.noteWrite(cluster: record.id, resource: plural)
                }
            }
            results = []
            for item in planned {
                if results.contains(where: { $0["ok"] == false }) {
                    results.append(item.result(ok: false, code: nil, message: "not attempted after an earlier failure"))
                    continue
                }
                results.append(
                    try await attempt(item) {
                        try await client.create(item.resource, namespace: item.namespace, object: item.object)
                    })
            }
            let created = results.filter { $0["ok"] == true }.count
            guard created == planned.count else {
                throw APIError(
                    .createFailed, "created \(created) of \(planned.count) objects before one failed",
                    data: outcome(applied: false, dryRun: false, cluster: cluster, namespace: namespace, results))
            }
            logger.info(
                "template applied",
                metadata: ["template": "\(template.name)", "cluster.id": "\(cluster)", "namespace": "\(namespace)"])
            return outcome(applied: true, dryRun: false, cluster: cluster, namespace: namespace, results)
        }
    }

    /// One object to create.
    struct Planned: Sendable {
        var resource: KubeResource
        var object: JSONValue
        var namespace: String?

        func result(ok: Bool, code: ErrorCode?, message: String) -> JSONValue {
            [
                "apiVersion": .string(resource.apiVersion), "kind": .string(resource.kind),
                "name": object["metadata"]?["name"] ?? .null, "namespace": namespace.map { .string($0) } ?? .null,
                "ok": .bool(ok), "code": code.map { .int(Int64($0.rawValue)) } ?? .null, "message": .string(message),
            ]
        }
    }

    /// The result of one call; a refusal is a result, an unreachable cluster ends the operation.
    private func attempt(_ item: Planned, _ call: () async throws -> JSONValue) async throws -> JSONValue {
        do {
            _ = try await call()
            return item.result(ok: true, code: .ok, message: "ok")
        } catch let error as KubeError where !error.isUnreachable {
            let refusal = APIError(error, verb: .create)
            return item.result(ok: false, code: refusal.code, message: refusal.message)
        }
    }

    private func outcome(applied: Bool, dryRun: Bool, cluster: String, namespace: String, _ results: [JSONValue])
        -> JSONValue
    {
        [
            "applied": .bool(applied), "dry_run": .bool(dryRun),
            "cluster_id": Int64(cluster).map { .int($0) } ?? .string(cluster),
            "namespace": .string(namespace), "results": .array(results),
        ]
    }
}
