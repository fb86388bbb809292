public import Foundation
public import GaleJSON
import PostgresNIO

/// Documents and their logs in the shared PostgreSQL database (see ``DocumentStore``): every
/// replica reads and writes the same ones.
extension PostgresClusterStore {
    private static let documentColumns = "id, kind, name, body, revision, created_at, updated_at"

    public func insertDocument(_ kind: DocumentKind, name: String, body: JSONValue) async throws -> StoredDocument {
        let now = Date().timeIntervalSince1970
        let text = body.storedText
        do {
            let documents = try await perform { client in
                try await Self.decodeDocuments(
                    client.query(
                        """
                        INSERT INTO document (kind, name, body, revision, created_at, updated_at)
                        VALUES (\(kind.rawValue), \(name), \(text), 1, \(now), \(now))
                        RETURNING \(unescaped: Self.documentColumns)
                        """))
            }
            guard let document = documents.first else { throw APIError.internalError }
            return document
        } catch let error where Self.isUniqueViolation(error) {
            throw DocumentStoreError.duplicateName(name)
        }
    }

    public func document(_ kind: DocumentKind, id: Int64) async throws -> StoredDocument? {
        try await perform { client in
            try await Self.decodeDocuments(
                client.query(
                    "SELECT \(unescaped: Self.documentColumns) FROM document WHERE kind = \(kind.rawValue) AND id = \(id)"))
        }.first
    }

    public func documents(_ kind: DocumentKind, keyword: String?, offset: Int, limit: Int) async throws -> (
        documents: [StoredDocument], total: Int
    ) {
        let keyword = keyword.flatMap { $0.isEmpty ? nil : $0 }
        return try await perform { client in
            let filter: PostgresQuery = """
                SELECT count(*) FROM document
                WHERE kind = \(kind.rawValue) AND (\(keyword)::text IS NULL OR strpos(lower(name), lower(\(keyword)::text)) > 0)
                """
            var total = 0
            for try await count in try await client.query(filter).decode(Int64.self) { total = Int(count) }
            let documents = try await Self.decodeDocuments(
                client.query(
                    """
                    SELECT \(unescaped: Self.documentColumns) FROM document
                    WHERE kind = \(kind.rawValue)
                      AND (\(keyword)::text IS NULL OR strpos(lower(name), lower(\(keyword)::text)) > 0)
                    ORDER BY id LIMIT \(Int64(limit)) OFFSET \(Int64(offset))
                    """))
            return (documents, total)
        }
    }

    public func updateDocument(
        _ kind: DocumentKind, id: Int64, name: String, body: JSONValue, expectedRevision: Int64?
    ) async throws -> StoredDocument? {
        let now = Date().timeIntervalSince1970
        let text = body.storedText
        do {
            return try await perform { client in
                // One statement: the revision is compared and incremented atomically.
                let updated = try await Self.decodeDocuments(
                    client.query(
                        """
                        UPDATE document SET name = \(name), body = \(text), revision = revision + 1, updated_at = \(now)
                        WHERE kind = \(kind.rawValue) AND id = \(id)
                          AND (\(expectedRevision)::bigint IS NULL OR revision = \(expectedRevision)::bigint)
                        RETURNING \(unescaped: Self.documentColumns)
                        """))
                if let document = updated.first { return document }
                var current: Int64?
                for try await revision in try await client.query(
                    "SELECT revision FROM document WHERE kind = \(kind.rawValue) AND id = \(id)"
                ).decode(Int64.self) {
                    current = revision
                }
                guard let current else { return nil }
                throw DocumentStoreError.revisionConflict(current: current)
            }
        } catch let error where Self.isUniqueViolation(error) {
            throw DocumentStoreError.duplicateName(name)
        }
    }

    public func deleteDocument(_ kind: DocumentKind, id: Int64) async throws -> Bool {
        try await perform { client in
            try await client.withTransaction(logger: self.logger) { connection in
                var deleted = false
                for try await _ in try await connection.query(
                    "DELETE FROM document WHERE kind = \(kind.rawValue) AND id = \(id) RETURNING id", logger: self.logger
                ).decode(Int64.self) {
                    deleted = true
                }
                if deleted {
                    try await connection.query("DELETE FROM document_entry WHERE owner = \(id)", logger: self.logger)
                }
                return deleted
            }
        }
    }

    public func appendEntry(_ log: DocumentKind, owner: Int64, body: JSONValue) async throws -> DocumentEntry {
        let now = Date().timeIntervalSince1970
        let text = body.storedText
        let id = try await perform { client in
            var id: Int64?
            for try await value in try await client.query(
                """
                INSERT INTO document_entry (log, owner, body, created_at)
                VALUES (\(log.rawValue), \(owner), \(text), \(now)) RETURNING id
                """
            ).decode(Int64.self) {
                id = value
            }
            guard let id else { throw APIError.internalError }
            return id
        }
        return DocumentEntry(id: id, log: log, owner: owner, body: body, createdAt: Date(timeIntervalSince1970: now))
    }

    public func entries(_ log: DocumentKind, owner: Int64?, offset: Int, limit: Int) async throws -> (
        entries: [DocumentEntry], total: Int
    ) {
        try await perform { client in
            var total = 0
            for try await count in try await client.query(
                """
                SELECT count(*) FROM document_entry
                WHERE log = \(log.rawValue) AND (\(owner)::bigint IS NULL OR owner = \(owner)::bigint)
                """
            ).decode(Int64.self) {
                total = Int(count)
            }
            var entries: [DocumentEntry] = []
            for try await (id, owner, text, created) in try await client.query(
                """
                SELECT id, owner, body, created_at FROM document_entry
                WHERE log = \(log.rawValue) AND (\(owner)::bigint IS NULL OR owner = \(owner)::bigint)
                ORDER BY id DESC LIMIT \(Int64(limit)) OFFSET \(Int64(offset))
                """
            ).decode((Int64, Int64, String, Double).self) {
                entries.append(
                    DocumentEntry(
                        id: id, log: log, owner: owner, body: try JSONValue.stored(text),
                        createdAt: Date(timeIntervalSince1970: created)))
            }
            return (entries, total)
        }
    }

    @discardableResult
    public func pruneEntries(_ log: DocumentKind, olderThan date: Date) async throws -> Int {
        let cutoff = date.timeIntervalSince1970
        return try await perform { client in
            var count = 0
            for try await _ in try await client.query(
                "DELETE FROM document_entry WHERE log = \(log.rawValue) AND created_at < \(cutoff) RETURNING id"
            ).decode(Int64.self) {
                count += 1
            }
            return count
        }
    }

    public func claim(_ log: DocumentKind, owner: Int64, key: String, now: Date, until expiry: Date) async throws
        -> Bool
    {
        let (start, end) = (now.timeIntervalSince1970, expiry.timeIntervalSince1970)
        return try await perform { client in
            // One statement: the insert, or the takeover of an expired claim, happens for exactly
            // one of the replicas racing for the key (the row lock serializes them).
            var claimed = false
            for try await _ in try await client.query(
                """
                INSERT INTO document_claim (log, owner, claim_key, claimed_at, expires_at)
                VALUES (\(log.rawValue), \(owner), \(key), \(start), \(end))
                ON CONFLICT (log, owner, claim_key) DO UPDATE
                SET claimed_at = EXCLUDED.claimed_at, expires_at = EXCLUDED.expires_at
                WHERE document_claim.expires_at <= EXCLUDED.claimed_at
                RETURNING owner
                """
            ).decode(Int64.self) {
                claimed = true
            }
            return claimed
        }
    }

    @discardableResult
    public func pruneClaims(expiredBefore date: Date) async throws -> Int {
        let cutoff = date.timeIntervalSince1970
        return try await perform { client in
            var count = 0
            for try await _ in try await client.query(
                "DELETE FROM document_claim WHERE expires_at < \(cutoff) RETURNING owner"
            ).decode(Int64.self) {
                count += 1
            }
            return count
        }
    }

    private static func decodeDocuments(_ rows: PostgresRowSequence) async throws -> [StoredDocument] {
        var documents: [StoredDocument] = []
        for try await (id, kind, name, text, revision, created, updated) in rows.decode(
            (Int64, String, String, String, Int64, Double, Double).self)
        {
            documents.append(
                StoredDocument(
                    id: id, kind: DocumentKind(kind), name: name, body: try JSONValue.stored(text), revision: revision,
                    createdAt: Date(timeIntervalSince1970: created), updatedAt: Date(timeIntervalSince1970: updated)))
        }
        return documents
    }
}
