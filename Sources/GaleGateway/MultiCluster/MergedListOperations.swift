import GaleJSON
import GaleProtocol
import HTTPTypes
import KubeClient
import Logging

/// The seed's paged lists across several clusters: `GET /multicluster/{resource}` with
/// `cluster_id` a list (`1,2`) or `*`.
///
/// Each cluster is read as the single-cluster list reads it (the shared watches' caches, the
/// user's RBAC), all of them at once. The merged items are `{cluster_id, cluster_name, object}`,
/// ordered by cluster id, namespace and name so that pages are stable; `keyword` and paging apply
/// to the merged list. A cluster that is down, unknown or outside the token's scope does not fail
/// the list: `data.clusters` reports every cluster's outcome.
struct MergedListOperations: Sendable {
    let access: ClusterAccess

    var operations: [Operation] {
        ResourceFamily.seed.filter { $0.verbs.contains(.list) }.map { family in
            let resource = family.resource
            return Operation(
                .get, PathTemplate("/multicluster" + family.path), role: .viewer,
                action: "list \(resource.plural)"
            ) { input in
                try await list(resource, input)
            }
        }
    }

    func list(_ resource: KubeResource, _ input: OperationInput) async throws -> JSONValue {
        let selection = try ClusterSelection(try input.optionalString("cluster_id") ?? "*")
        let paging = try input.paging()
        let namespace =
            resource.namespaced ? try input.optionalString("namespace").flatMap { $0.isEmpty ? nil : $0 } : nil
        let keyword = try input.optionalString("keyword")?.lowercased()
        let labelSelector = try input.optionalString("labelSelector").flatMap { $0.isEmpty ? nil : $0 }
        let fieldSelector = try input.optionalString("fieldSelector").flatMap { $0.isEmpty ? nil : $0 }
        let members = try await selection.members(for: input.principal, registry: access.registry)
        let reader = ClusterObjects(access: access)
        let principal = input.principal
        let results = await Self.perCluster(members, input: input) { record in
            let client = try await access.connections.client(for: record, as: principal)
            return try await reader.list(
                resource, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
                record: record, client: client, principal: principal)
        }
        var items: [JSONValue] = []
        var reports: [JSONValue] = []
        for result in results {
            reports.append(ClusterSelection.report(id: result.id, name: result.name, error: result.error))
            for object in result.value ?? [] {
                if let keyword, !keyword.isEmpty,
                    !(object["metadata"]?["name"]?.stringValue ?? "").lowercased().contains(keyword)
                {
                    continue
                }
                items.append([
                    "cluster_id": .int(Int64(result.id) ?? 0), "cluster_name": .string(result.name ?? ""),
                    "object": object,
                ])
            }
        }
        let page = Array(items.dropFirst(paging.offset).prefix(paging.pageSize))
        guard case .object(var data) = paging.envelope(items: page, total: items.count) else { return .null }
        data["clusters"] = .array(reports)
        return .object(data)
    }

    /// What one cluster of a merged view gave: its value or its error.
    struct Outcome<Value: Sendable>: Sendable {
        var id: String
        var name: String?
        var value: Value?
        var error: APIError?
    }

    /// Runs `body` for every cluster of `members` at once; the outcomes come in the order of
    /// `members`. An error that is not an ``APIError`` is logged and reported as 5001 without
    /// its text.
    static func perCluster<Value: Sendable>(
        _ members: [ClusterSelection.Member], input: OperationInput,
        _ body: @escaping @Sendable (ClusterRecord) async throws -> Value
    ) async -> [Outcome<Value>] {
        await withTaskGroup(of: (Int, Outcome<Value>).self) { group in
            for (index, member) in members.enumerated() {
                group.addTask {
                    switch member {
                    case .refused(let id, let error):
                        return (index, Outcome(id: id, error: error))
                    case .cluster(let record):
                        var outcome = Outcome<Value>(id: String(record.id), name: record.name)
                        do {
                            outcome.value = try await body(record)
                        } catch let error as APIError {
                            outcome.error = error
                        } catch {
                            input.logger.error(
                                "a cluster of a merged view failed",
                                metadata: ["cluster.id": "\(record.id)", "error": "\(error)"])
                            outcome.error = APIError.internalError
                        }
                        return (index, outcome)
                    }
                }
            }
            var outcomes: [(Int, Outcome<Value>)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}
