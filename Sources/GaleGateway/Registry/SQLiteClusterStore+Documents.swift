public import Foundation
public import GaleJSON
import GRDB

/// Documents and their logs in the embedded SQLite database (see ``DocumentStore``).
extension SQLiteClusterStore {
    static func registerDocumentMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-documents") { db in
            try db.execute(
                sql: """
                    CREATE TABLE document (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL,
                        name TEXT NOT NULL,
                        body TEXT NOT NULL,
                        revision INTEGER NOT NULL,
                        created_at DOUBLE NOT NULL,
                        updated_at DOUBLE NOT NULL,
                        UNIQUE (kind, name)
                    );
                    CREATE TABLE document_entry (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        log TEXT NOT NULL,
                        owner INTEGER NOT NULL,
                        body TEXT NOT NULL,
                        created_at DOUBLE NOT NULL
                    );
                    CREATE INDEX document_entry_owner ON document_entry (log, owner, id);
                    CREATE INDEX document_entry_age ON document_entry (log, created_at);
                    """
            )
        }
        migrator.registerMigration("v4-document-claims") { db in
            try db.execute(
                sql: """
                    CREATE TABLE document_claim (
                        log TEXT NOT NULL,
                        owner INTEGER NOT NULL,
                        claim_key TEXT NOT NULL,
                        claimed_at DOUBLE NOT NULL,
                        expires_at DOUBLE NOT NULL,
                        PRIMARY KEY (log, owner, claim_key)
                    );
                    CREATE INDEX document_claim_expiry ON document_claim (expires_at);
                    """
            )
        }
    }

    public func claim(_ log: DocumentKind, owner: Int64, key: String, now: Date, until expiry: Date) async throws
        -> Bool
    {
        let (start, end) = (now.timeIntervalSince1970, expiry.timeIntervalSince1970)
        return try await database.write { db in
            // Inserted, or taken over when expired; a claim still held leaves the row unchanged.
            try db.execute(
                sql: """
                    INSERT INTO document_claim (log, owner, claim_key, claimed_at, expires_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (log, owner, claim_key) DO UPDATE
                    SET claimed_at = excluded.claimed_at, expires_at = excluded.expires_at
                    WHERE document_claim.expires_at <= excluded.claimed_at
                    """,
                arguments: [log.rawValue, owner, key, start, end])
            return db.changesCount > 0
        }
    }

    @discardableResult
    public func pruneClaims(expiredBefore date: Date) async throws -> Int {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM document_claim WHERE expires_at < ?", arguments: [date.timeIntervalSince1970])
            return db.changesCount
        }
    }

    public func insertDocument(_ kind: DocumentKind, name: String, body: JSONValue) async throws -> StoredDocument {
        let now = Date().timeIntervalSince1970
        let text = body.storedText
        do {
            return try await database.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO document (kind, name, body, revision, created_at, updated_at)
                        VALUES (?, ?, ?, 1, ?, ?)
                        """,
                    arguments: [kind.rawValue, name, text, now, now])
                let id = db.lastInsertedRowID
                return StoredDocument(
                    id: id, kind: kind, name: name, body: body, revision: 1,
                    createdAt: Date(timeIntervalSince1970: now), updatedAt: Date(timeIntervalSince1970: now))
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw DocumentStoreError.duplicateName(name)
        }
    }

    public func document(_ kind: DocumentKind, id: Int64) async throws -> StoredDocument? {
        let row = try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM document WHERE kind = ? AND id = ?", arguments: [kind.rawValue, id])
        }
        return try row.map(Self.document)
    }

    public func documents(_ kind: DocumentKind, keyword: String?, offset: Int, limit: Int) async throws -> (
        documents: [StoredDocument], total: Int
    ) {
        var filter = "WHERE kind = ?"
        var arguments: StatementArguments = [kind.rawValue]
        if let keyword, !keyword.isEmpty {
            filter += " AND instr(lower(name), lower(?)) > 0"
            arguments += [keyword]
        }
        let countArguments = arguments
        let pageArguments = arguments + [limit, offset]
        let (rows, total) = try await database.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM document \(filter)", arguments: countArguments) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM document \(filter) ORDER BY id LIMIT ? OFFSET ?", arguments: pageArguments)
            return (rows, total)
        }
        return (try rows.map(Self.document), total)
    }

    public func updateDocument(
        _ kind: DocumentKind, id: Int64, name: String, body: JSONValue, expectedRevision: Int64?
    ) async throws -> StoredDocument? {
        let now = Date().timeIntervalSince1970
        let text = body.storedText
        do {
            let row = try await database.write { db -> Row? in
                guard
                    let current = try Int64.fetchOne(
                        db, sql: "SELECT revision FROM document WHERE kind = ? AND id = ?", arguments: [kind.rawValue, id])
                else { return nil }
                if let expectedRevision, expectedRevision != current {
                    throw DocumentStoreError.revisionConflict(current: current)
                }
                try db.execute(
                    sql: "UPDATE document SET name = ?, body = ?, revision = revision + 1, updated_at = ? WHERE id = ?",
                    arguments: [name, text, now, id])
                return try Row.fetchOne(db, sql: "SELECT * FROM document WHERE id = ?", arguments: [id])
            }
            return try row.map(Self.document)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw DocumentStoreError.duplicateName(name)
        }
    }

    public func deleteDocument(_ kind: DocumentKind, id: Int64) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM document WHERE kind = ? AND id = ?", arguments: [kind.rawValue, id])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "DELETE FROM document_entry WHERE owner = ?", arguments: [id])
            return true
        }
    }

    public func appendEntry(_ log: DocumentKind, owner: Int64, body: JSONValue) async throws -> DocumentEntry {
        let now = Date().timeIntervalSince1970
        let text = body.storedText
        let id = try await database.write { db in
            try db.execute(
                sql: "INSERT INTO document_entry (log, owner, body, created_at) VALUES (?, ?, ?, ?)",
                arguments: [log.rawValue, owner, text, now])
            return db.lastInsertedRowID
        }
        return DocumentEntry(id: id, log: log, owner: owner, body: body, createdAt: Date(timeIntervalSince1970: now))
    }

    public func entries(_ log: DocumentKind, owner: Int64?, offset: Int, limit: Int) async throws -> (
        entries: [DocumentEntry], total: Int
    ) {
        var filter = "WHERE log = ?"
        var arguments: StatementArguments = [log.rawValue]
        if let owner {
            filter += " AND owner = ?"
            arguments += [owner]
        }
        let countArguments = arguments
        let pageArguments = arguments + [limit, offset]
        let (rows, total) = try await database.read { db in
            let total =
                try Int.fetchOne(db, sql: "SELECT count(*) FROM document_entry \(filter)", arguments: countArguments) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM document_entry \(filter) ORDER BY id DESC LIMIT ? OFFSET ?",
                arguments: pageArguments)
            return (rows, total)
        }
        return (try rows.map(Self.entry), total)
    }

    @discardableResult
    public func pruneEntries(_ log: DocumentKind, olderThan date: Date) async throws -> Int {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM document_entry WHERE log = ? AND created_at < ?",
                arguments: [log.rawValue, date.timeIntervalSince1970])
            return db.changesCount
        }
    }

    private static func document(_ row: Row) throws -> StoredDocument {
        StoredDocument(
            id: row["id"], kind: DocumentKind(row["kind"] as String), name: row["name"],
            body: try JSONValue.stored(row["body"]), revision: row["revision"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }

    private static func entry(_ row: Row) throws -> DocumentEntry {
        DocumentEntry(
            id: row["id"], log: DocumentKind(row["log"] as String), owner: row["owner"],
            body: try JSONValue.stored(row["body"]), createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }
}
