public import Foundation

/// Where registered clusters live. SQLite (``SQLiteClusterStore``) is the embedded default.
public protocol ClusterStore: Sendable {
    /// A page of clusters whose name or description contains `keyword`, limited to `ids` when
    /// given, ordered by id; with the total count of matches.
    func list(keyword: String?, ids: Set<Int64>?, offset: Int, limit: Int) async throws -> (
        records: [ClusterRecord], total: Int
    )
    func get(id: Int64) async throws -> ClusterRecord?
    /// Inserts a cluster; throws ``ClusterStoreError/duplicateName`` when the name is taken.
    func insert(name: String, description: String, sealedKubeconfig: Data, settings: ClusterSettings) async throws
        -> ClusterRecord
    /// Applies `changes`; `nil` when there is no such cluster.
    func update(id: Int64, changes: ClusterChanges) async throws -> ClusterRecord?
    /// Records the result of probing a cluster.
    func setState(id: Int64, status: String, version: String) async throws
    /// Deletes a cluster; `false` when there was none.
    func delete(id: Int64) async throws -> Bool
}

/// Failures a store reports as such (anything else is an infrastructure error).
public struct ClusterStoreError: Error, Hashable, CustomStringConvertible {
    private enum Kind: Hashable {
        case duplicateName(String)
    }

    private let kind: Kind

    public static func duplicateName(_ name: String) -> ClusterStoreError { .init(kind: .duplicateName(name)) }

    /// The name that was already taken, for a duplicate-name error.
    public var duplicateName: String? {
        if case .duplicateName(let name) = kind { return name }
        return nil
    }

    public var description: String {
        switch kind {
        case .duplicateName(let name): "a cluster named \"\(name)\" already exists"
        }
    }
}
