import GaleJSON
import GaleProtocol

/// Several clusters named at once: `1,2,5`, or `*` for every cluster in the caller's token scope.
///
/// Resolving a selection never fails because of one cluster: each cluster either resolves to its
/// record or carries the error it would have answered alone (outside the scope, not registered),
/// so a merged view reports it next to the others.
struct ClusterSelection: Sendable, Equatable {
    /// Most clusters one selection may name (or `*` may cover).
    static let maxClusters = 64

    /// `nil` for `*`; else the ids as given, without repeats.
    let ids: [String]?

    /// Whether a `cluster_id` (or a `subscribe`'s `cluster`) names several clusters.
    static func isSelection(_ text: String) -> Bool {
        text.trimmingWhitespace == "*" || text.contains(",")
    }

    /// Parses `*` or a comma-separated list of cluster ids; 1001 for anything else.
    init(_ text: String) throws(APIError) {
        if text.trimmingWhitespace == "*" {
            ids = nil
            return
        }
        var ids: [String] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let id = String(part).trimmingWhitespace
            guard let number = Int64(id), number > 0 else {
                throw .invalidArgument("cluster ids must be positive integers separated by commas, or *")
            }
            if !ids.contains(String(number)) { ids.append(String(number)) }
        }
        guard ids.count <= Self.maxClusters else {
            throw .invalidArgument("at most \(Self.maxClusters) clusters may be named at once")
        }
        self.ids = ids
    }

    /// One cluster of a selection: its record, or why the caller cannot use it.
    enum Member: Sendable {
        case cluster(ClusterRecord)
        case refused(id: String, APIError)

        var id: String {
            switch self {
            case .cluster(let record): String(record.id)
            case .refused(let id, _): id
            }
        }
    }

    /// The clusters of the selection for `principal`, ordered by id. `*` covers the clusters in
    /// the token's scope that are registered; more than ``maxClusters`` of them is 1001.
    func members(for principal: Principal, registry: ClusterRegistry) async throws -> [Member] {
        guard let ids else {
            let scope: Set<Int64>? =
                switch principal.clusters {
                case .all: nil
                case .only(let keys): Set(keys.compactMap { Int64($0) })
                }
            let (records, total) = try await registry.store.list(
                keyword: nil, ids: scope, offset: 0, limit: Self.maxClusters)
            guard total <= Self.maxClusters else {
                throw APIError.invalidArgument(
                    "* covers \(total) clusters; name at most \(Self.maxClusters) of them by id")
            }
            return records.sorted { $0.id < $1.id }.map(Member.cluster)
        }
        var members: [Member] = []
        for id in ids {
            do {
                members.append(.cluster(try await registry.record(id, for: principal)))
            } catch let error as APIError {
                members.append(.refused(id: id, error))
            }
        }
        return members.sorted { (Int64($0.id) ?? 0) < (Int64($1.id) ?? 0) }
    }

    /// How a cluster fared in a merged view: `{cluster_id, cluster_name?, status, code?, error?}`
    /// with `status` `ok`, or the error's kind (`forbidden`, `not_found`, `unreachable`, `error`).
    static func report(id: String, name: String?, error: APIError?) -> JSONValue {
        var members: [String: JSONValue] = ["cluster_id": .int(Int64(id) ?? 0)]
        if let name { members["cluster_name"] = .string(name) }
        guard let error else {
            members["status"] = "ok"
            return .object(members)
        }
        members["status"] =
            switch error.code {
            case .forbidden: "forbidden"
            case .clusterNotFound, .namespaceNotFound, .resourceNotFound: "not_found"
            case .clusterUnreachable: "unreachable"
            default: "error"
            }
        members["code"] = .int(Int64(error.code.rawValue))
        members["error"] = .string(error.message)
        return .object(members)
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
