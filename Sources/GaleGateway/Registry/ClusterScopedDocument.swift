import Foundation
import GaleJSON

/// A document that belongs to one registered cluster (an alert rule, an automation task): its
/// routes list, read and change it only within the caller's cluster scope — one of another
/// cluster is not found, as if it did not exist.
protocol ClusterScopedDocument: Sendable {
    /// Where documents of this type are stored.
    static var kind: DocumentKind { get }
    /// What the API calls one, in messages (`alert rule`).
    static var noun: String { get }
    /// The document as the API shows it.
    static func json(_ document: StoredDocument) -> JSONValue

    var name: String { get }
    /// The registry id of the cluster it belongs to.
    var cluster: Int64 { get }
    /// What is stored.
    var body: JSONValue { get }

    /// The value read back from its document; `nil` when unreadable.
    init?(_ document: StoredDocument)
}

extension DocumentStore {
    /// A page of the documents of `type` the caller may see, filtered by `cluster_id` and
    /// `keyword` (in the name). A caller scoped to some clusters gets the documents of those
    /// only, filtered before paging so that totals and pages agree.
    func page<Document: ClusterScopedDocument>(of type: Document.Type, _ input: OperationInput) async throws
        -> JSONValue
    {
        let paging = try input.paging()
        let keyword = try input.optionalString("keyword")
        let cluster = try input.optionalInt("cluster_id")
        if input.principal.clusters == .all, cluster == nil {
            let (documents, total) = try await documents(
                Document.kind, keyword: keyword, offset: paging.offset, limit: paging.pageSize)
            return paging.envelope(items: documents.map(Document.json), total: total)
        }
        let visible = try await allDocuments(Document.kind).filter { document in
            guard let value = Document(document) else { return false }
            if let cluster, value.cluster != cluster { return false }
            if let keyword, !document.name.localizedCaseInsensitiveContains(keyword) { return false }
            return input.principal.canAccess(cluster: String(value.cluster))
        }
        let page = visible.dropFirst(paging.offset).prefix(paging.pageSize)
        return paging.envelope(items: page.map(Document.json), total: visible.count)
    }

    /// The document of `type` named by the path's `id`, with its value, when its cluster is in
    /// the caller's scope (1004 otherwise).
    func scoped<Document: ClusterScopedDocument>(_ type: Document.Type, _ input: OperationInput) async throws
        -> (document: StoredDocument, value: Document)
    {
        let text = try input.string("id")
        guard let id = Int64(text), let document = try await document(Document.kind, id: id),
            let value = Document(document), input.principal.canAccess(cluster: String(value.cluster))
        else { throw APIError.resourceNotFound("\(Document.noun) \(text) not found") }
        return (document, value)
    }

    /// Stores a new document (a taken name is 1007).
    func insert<Document: ClusterScopedDocument>(_ value: Document) async throws -> StoredDocument {
        do {
            return try await insertDocument(Document.kind, name: value.name, body: value.body)
        } catch let error as DocumentStoreError {
            throw APIError.documentRefused(error, noun: Document.noun, creating: true)
        }
    }

    /// Replaces document `id` with `value`, at the caller's `revision` when given (a stale one
    /// is 1008 with the current revision, a taken name 1007, a document gone 1004).
    func replace<Document: ClusterScopedDocument>(_ id: Int64, with value: Document, revision: Int64?) async throws
        -> StoredDocument
    {
        do {
            guard
                let document = try await updateDocument(
                    Document.kind, id: id, name: value.name, body: value.body, expectedRevision: revision)
            else { throw APIError.resourceNotFound("\(Document.noun) \(id) not found") }
            return document
        } catch let error as DocumentStoreError {
            throw APIError.documentRefused(error, noun: Document.noun, creating: false)
        }
    }

    /// Deletes document `id` of `type` (1004 when it is already gone).
    func remove<Document: ClusterScopedDocument>(_ type: Document.Type, id: Int64) async throws {
        guard try await deleteDocument(Document.kind, id: id) else {
            throw APIError.resourceNotFound("\(Document.noun) \(id) not found")
        }
    }
}
