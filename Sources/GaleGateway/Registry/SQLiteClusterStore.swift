public import Foundation
import GRDB

/// The embedded default ``ClusterStore``: one SQLite file in the data directory, in WAL mode.
public final class SQLiteClusterStore: ClusterStore {
    let database: DatabasePool

    /// Opens (creating and migrating as needed) the database at `path`.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        database = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-clusters") { db in
            try db.execute(
                sql: """
                    CREATE TABLE cluster (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL UNIQUE,
                        description TEXT NOT NULL DEFAULT '',
                        sealed_kubeconfig BLOB NOT NULL,
                        status TEXT NOT NULL DEFAULT 'unknown',
                        version TEXT NOT NULL DEFAULT '',
                        created_at DOUBLE NOT NULL,
                        updated_at DOUBLE NOT NULL
                    )
                    """
            )
        }
        migrator.registerMigration("v2-cluster-settings") { db in
            try db.execute(sql: "ALTER TABLE cluster ADD COLUMN impersonate BOOLEAN NOT NULL DEFAULT 1")
            try db.execute(sql: "ALTER TABLE cluster ADD COLUMN node_terminal BOOLEAN NOT NULL DEFAULT 0")
        }
        registerDocumentMigrations(&migrator)
        return migrator
    }

    public func list(keyword: String?, ids: Set<Int64>?, offset: Int, limit: Int) async throws -> (
        records: [ClusterRecord], total: Int
    ) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let keyword, !keyword.isEmpty {
            conditions.append("(instr(lower(name), lower(?)) > 0 OR instr(lower(description), lower(?)) > 0)")
            arguments += [keyword, keyword]
        }
        if let ids {
            guard !ids.isEmpty else { return ([], 0) }
            conditions.append("id IN (\(ids.map { _ in "?" }.joined(separator: ",")))")
            arguments += StatementArguments(ids.sorted())
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let countArguments = arguments
        let pageArguments = arguments + [limit, offset]
        return try await database.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM cluster \(filter)", arguments: countArguments) ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT * FROM cluster \(filter) ORDER BY id LIMIT ? OFFSET ?",
                arguments: pageArguments
            )
            return (rows.map(Self.record), total)
        }
    }

    public func get(id: Int64) async throws -> ClusterRecord? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM cluster WHERE id = ?", arguments: [id]).map(Self.record)
        }
    }

    public func insert(name: String, description: String, sealedKubeconfig: Data, settings: ClusterSettings) async throws
        -> ClusterRecord
    {
        let now = Date().timeIntervalSince1970
        do {
            return try await database.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO cluster (name, description, sealed_kubeconfig, impersonate, node_terminal,
                            created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [name, description, sealedKubeconfig, settings.impersonate, settings.nodeTerminal, now, now]
                )
                let row = try Row.fetchOne(db, sql: "SELECT * FROM cluster WHERE id = ?", arguments: [db.lastInsertedRowID])
                return Self.record(row!)
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw ClusterStoreError.duplicateName(name)
        }
    }

    public func update(id: Int64, changes: ClusterChanges) async throws -> ClusterRecord? {
        do {
            return try await database.write { db in
                var assignments = ["updated_at = ?"]
                var arguments: StatementArguments = [Date().timeIntervalSince1970]
                if let name = changes.name {
                    assignments.append("name = ?")
                    arguments += [name]
                }
                if let description = changes.description {
                    assignments.append("description = ?")
                    arguments += [description]
                }
                if let impersonate = changes.impersonate {
                    assignments.append("impersonate = ?")
                    arguments += [impersonate]
                }
                if let nodeTerminal = changes.nodeTerminal {
                    assignments.append("node_terminal = ?")
                    arguments += [nodeTerminal]
                }
                if let sealed = changes.sealedKubeconfig {
                    // A new kubeconfig may point elsewhere: forget what was learned from the old one.
                    assignments.append("sealed_kubeconfig = ?, status = 'unknown', version = ''")
                    arguments += [sealed]
                }
                arguments += [id]
                try db.execute(
                    sql: "UPDATE cluster SET \(assignments.joined(separator: ", ")) WHERE id = ?",
                    arguments: arguments
                )
                guard db.changesCount > 0 else { return nil }
                return try Row.fetchOne(db, sql: "SELECT * FROM cluster WHERE id = ?", arguments: [id]).map(Self.record)
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw ClusterStoreError.duplicateName(changes.name ?? "")
        }
    }

    public func setState(id: Int64, status: String, version: String) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE cluster SET status = ?, version = ? WHERE id = ?", arguments: [status, version, id])
        }
    }

    public func delete(id: Int64) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM cluster WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    private static func record(_ row: Row) -> ClusterRecord {
        ClusterRecord(
            id: row["id"],
            name: row["name"],
            description: row["description"],
            sealedKubeconfig: row["sealed_kubeconfig"],
            status: row["status"],
            version: row["version"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            updatedAt: Date(timeIntervalSince1970: row["updated_at"]),
            settings: ClusterSettings(impersonate: row["impersonate"], nodeTerminal: row["node_terminal"])
        )
    }
}
