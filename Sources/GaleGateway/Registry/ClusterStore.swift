public import Foundation

/// Where registered clusters live. SQLite (``SQLiteClusterStore``) is the embedded default;
/// ``PostgresClusterStore`` is shared by several gateway replicas. The same database keeps the
/// features' documents (``DocumentStore``).
public protocol ClusterStore: DocumentStore {
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

    /// Returns when the store can serve requests, throws when it cannot (`/readyz`).
    func checkHealth() async throws
    /// Calls `onChange` for every registry change another process sharing the store makes, until
    /// the calling task is cancelled. A store used by one process only never calls it.
    func followChanges(_ onChange: @escaping @Sendable (ClusterChange) async -> Void) async throws
    /// Single-use values shared with the other processes of the store; `nil` for a store of one
    /// process, whose tickets and tokens stay in its memory.
    var sharedNonces: (any NonceLedger)? { get }
    /// Releases the store's connections; it is not used afterwards.
    func close() async
}

extension ClusterStore {
    public func checkHealth() async throws {
        _ = try await list(keyword: nil, ids: nil, offset: 0, limit: 1)
    }

    public func followChanges(_ onChange: @escaping @Sendable (ClusterChange) async -> Void) async throws {
        // Nobody else writes this store: nothing to follow until the caller is cancelled.
        while true { try await Task.sleep(for: .seconds(3600)) }
    }

    public var sharedNonces: (any NonceLedger)? { nil }

    public func close() async {}
}

/// A change of the registry made by another gateway process sharing the store.
public struct ClusterChange: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case inserted
        case updated
        case deleted
        /// Changes may have been missed (the notification channel was re-established): everything
        /// cached about clusters is to be checked against the store.
        case resync
    }

    public var kind: Kind
    /// The cluster changed; `0` for ``Kind/resync``.
    public var id: Int64

    public init(_ kind: Kind, id: Int64 = 0) {
        self.kind = kind
        self.id = id
    }
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
