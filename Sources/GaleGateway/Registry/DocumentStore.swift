public import Foundation
public import GaleJSON

/// Named JSON documents kept in the registry's database next to the clusters: resource
/// templates, alert rules, automation tasks. Each feature owns a ``DocumentKind`` and gives its
/// documents their shape; the store keeps them with an id, a unique name per kind and a revision
/// that every update increments (for optimistic concurrency). Entries are the append-only logs
/// that belong to a document: an alert's state changes, an automation task's runs. Claims are
/// leases on a key of a document, for work that replicas must do once.
///
/// Both stores implement it: ``SQLiteClusterStore`` for one gateway, ``PostgresClusterStore``
/// for replicas sharing their documents.
public protocol DocumentStore: Sendable {
    /// Inserts a document; throws ``DocumentStoreError/duplicateName(_:)`` when the kind already
    /// has a document of that name.
    func insertDocument(_ kind: DocumentKind, name: String, body: JSONValue) async throws -> StoredDocument
    func document(_ kind: DocumentKind, id: Int64) async throws -> StoredDocument?
    /// A page of the kind's documents whose name contains `keyword` (ignoring case), ordered by
    /// id, with the total count of matches.
    func documents(_ kind: DocumentKind, keyword: String?, offset: Int, limit: Int) async throws -> (
        documents: [StoredDocument], total: Int
    )
    /// Replaces a document's name and body; `nil` when there is no such document. With
    /// `expectedRevision`, throws ``DocumentStoreError/revisionConflict(current:)`` when the
    /// document has changed since that revision.
    func updateDocument(_ kind: DocumentKind, id: Int64, name: String, body: JSONValue, expectedRevision: Int64?)
        async throws -> StoredDocument?
    /// Deletes a document and its entries; `false` when there was none.
    func deleteDocument(_ kind: DocumentKind, id: Int64) async throws -> Bool
    /// Appends an entry to the log `log` of the document `owner`.
    func appendEntry(_ log: DocumentKind, owner: Int64, body: JSONValue) async throws -> DocumentEntry
    /// A page of the log `log`, newest first, of one owner or (with `nil`) of all; with the
    /// total count.
    func entries(_ log: DocumentKind, owner: Int64?, offset: Int, limit: Int) async throws -> (
        entries: [DocumentEntry], total: Int
    )
    /// Deletes the entries of `log` older than `date`; returns how many.
    @discardableResult
    func pruneEntries(_ log: DocumentKind, olderThan date: Date) async throws -> Int
    /// Claims `key` of the document `owner` in `log` from `now` until `expiry`: `true` when this
    /// call got the claim — nobody held it, or the previous claim had expired — and `false` while
    /// another claim holds it. One atomic statement against the key's unique row, so that of the
    /// replicas sharing a database exactly one gets a given claim (an automation task's schedule
    /// tick, or its run for one firing alert).
    func claim(_ log: DocumentKind, owner: Int64, key: String, now: Date, until expiry: Date) async throws -> Bool
    /// Deletes the claims that expired before `date`; returns how many.
    @discardableResult
    func pruneClaims(expiredBefore date: Date) async throws -> Int
}

extension DocumentStore {
    /// Every document of a kind (for evaluators that walk them all), in pages of 500.
    public func allDocuments(_ kind: DocumentKind) async throws -> [StoredDocument] {
        var all: [StoredDocument] = []
        while true {
            let page = try await documents(kind, keyword: nil, offset: all.count, limit: 500)
            all += page.documents
            if page.documents.isEmpty || all.count >= page.total { return all }
        }
    }
}

/// The kind of a stored document or log, named by the feature that owns it
/// (`extension DocumentKind { static let template = DocumentKind("template") }`).
public struct DocumentKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
}

/// A document as stored.
public struct StoredDocument: Sendable, Hashable {
    public var id: Int64
    public var kind: DocumentKind
    public var name: String
    public var body: JSONValue
    /// 1 when inserted, incremented by every update.
    public var revision: Int64
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64, kind: DocumentKind, name: String, body: JSONValue, revision: Int64, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.body = body
        self.revision = revision
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// An entry of a document's log.
public struct DocumentEntry: Sendable, Hashable {
    public var id: Int64
    public var log: DocumentKind
    public var owner: Int64
    public var body: JSONValue
    public var createdAt: Date

    public init(id: Int64, log: DocumentKind, owner: Int64, body: JSONValue, createdAt: Date) {
        self.id = id
        self.log = log
        self.owner = owner
        self.body = body
        self.createdAt = createdAt
    }
}

/// Failures a document store reports as such (anything else is an infrastructure error).
public enum DocumentStoreError: Error, Hashable, CustomStringConvertible {
    case duplicateName(String)
    /// The document changed since the revision the update started from.
    case revisionConflict(current: Int64)

    public var description: String {
        switch self {
        case .duplicateName(let name): "a document named \"\(name)\" already exists"
        case .revisionConflict(let current): "the document has changed since; its revision is now \(current)"
        }
    }
}

extension JSONValue {
    /// The body as stored: compact JSON text.
    var storedText: String { jsonString }

    /// A body read back from the database, which only ever holds text this gateway wrote.
    static func stored(_ text: String) throws -> JSONValue {
        try JSONValue(parsing: text)
    }
}
