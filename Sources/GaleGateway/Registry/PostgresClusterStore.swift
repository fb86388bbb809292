public import Foundation
public import Logging
import PostgresNIO

/// The ``ClusterStore`` several gateway replicas share: a PostgreSQL database reached through a
/// connection pool (postgres-nio's `PostgresClient`).
///
/// Its schema is versioned and migrated at start (``PostgresMigrations``). Registry writes
/// announce themselves with `NOTIFY`, so every replica hears of a change within a second
/// (``followChanges(_:)``). While the database cannot be reached, each call waits for the pool to
/// reconnect for at most ``Configuration/operationTimeout`` and then fails with 5001 and a plain
/// message (``APIError/databaseUnavailable``); nothing is half-written, and the same call works
/// again as soon as the database is back.
public final class PostgresClusterStore: ClusterStore {
    public struct Configuration: Sendable {
        /// How long one call may wait for the database (including the pool's reconnection)
        /// before it fails with 5001.
        public var operationTimeout: Duration
        /// How long the first start waits for the database before `serve` gives up.
        public var startTimeout: Duration
        /// Connections the pool may open (one more is held for `LISTEN`).
        public var maximumConnections: Int
        /// How long the `/readyz` check waits for the database: well inside a load balancer's
        /// probe timeout, so an unreachable database reads as 503 rather than as a probe that
        /// timed out.
        public var healthTimeout: Duration

        public init(
            operationTimeout: Duration = .seconds(5), startTimeout: Duration = .seconds(30), maximumConnections: Int = 10,
            healthTimeout: Duration = .seconds(1)
        ) {
            self.operationTimeout = operationTimeout
            self.startTimeout = startTimeout
            self.maximumConnections = maximumConnections
            self.healthTimeout = healthTimeout
        }
    }

    /// The channel registry changes are announced on.
    static let changeChannel = "kubegale_clusters"

    let client: PostgresClient
    private let runner: Task<Void, Never>
    let configuration: Configuration
    let logger: Logger
    /// Tells this process's own notifications apart from other replicas'.
    let origin = UUID().uuidString.lowercased()
    private let location: PostgresLocation

    /// Connects to the database `location` names and migrates its schema; throws a
    /// ``ConfigurationError`` (without the password) when the database cannot be reached within
    /// ``Configuration/startTimeout``. With `sealKeyCheck` (a value derived from the seal key, see
    /// ``KubeconfigSealer/check``), a gateway whose seal key is not the one the database's
    /// kubeconfigs were sealed with is refused: replicas must share it.
    public init(
        location: DatabaseLocation, configuration: Configuration = .init(), sealKeyCheck: String? = nil,
        logger: Logger
    ) async throws {
        guard case .postgres(let postgres) = location.kind else {
            throw ConfigurationError("PostgresClusterStore needs a postgres:// database")
        }
        self.location = postgres
        self.configuration = configuration
        self.logger = logger
        // The pool reports every failed connection attempt; while the database is down that is one
        // line per attempt, so below notice only when the gateway logs below notice itself.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .notice)
        let client = PostgresClient(
            configuration: Self.clientConfiguration(postgres, configuration), backgroundLogger: poolLogger)
        self.client = client
        // Unstructured task: the pool needs its run loop before the first query, and the schema is
        // migrated here, before the gateway's service group exists. It ends when ``close()``
        // cancels it; it holds nothing but the pool.
        runner = Task { await client.run() }
        do {
            _ = try await Self.withTimeout(configuration.startTimeout) {
                try await PostgresMigrations.run(on: client, logger: logger)
            }
            if let sealKeyCheck { try await checkSealKey(sealKeyCheck) }
        } catch let error as ConfigurationError {
            runner.cancel()
            throw error
        } catch {
            runner.cancel()
            throw ConfigurationError(
                "cannot use the database \(postgres): \(Self.plainReason(error)) (is it running, and does the URL name it?)")
        }
    }

    private static func clientConfiguration(_ location: PostgresLocation, _ configuration: Configuration)
        -> PostgresClient.Configuration
    {
        var client: PostgresClient.Configuration
        if let directory = location.socketDirectory {
            client = PostgresClient.Configuration(
                unixSocketPath: directory + "/.s.PGSQL.\(location.port)", username: location.username,
                password: location.password, database: location.database)
        } else {
            let tls: PostgresClient.Configuration.TLS =
                switch location.tls {
                case .disable: .disable
                case .prefer: .prefer(.makeClientConfiguration())
                case .require: .require(.makeClientConfiguration())
                }
            client = PostgresClient.Configuration(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: tls)
        }
        client.options.maximumConnections = configuration.maximumConnections + 1
        client.options.connectTimeout = .seconds(5)
        client.options.keepAliveBehavior = .init(frequency: .seconds(15))
        return client
    }

    /// Records `check` as the seal key's on first start; refuses a different one afterwards.
    private func checkSealKey(_ check: String) async throws {
        let recorded = try await perform { client in
            for try await _ in try await client.query(
                """
                INSERT INTO kubegale_setting (name, value) VALUES ('seal-key-check', \(check))
                ON CONFLICT (name) DO NOTHING
                """)
            {}
            var value: String?
            for try await row in try await client.query(
                "SELECT value FROM kubegale_setting WHERE name = 'seal-key-check'"
            ).decode(String.self) {
                value = row
            }
            return value
        }
        guard recorded == check else {
            throw ConfigurationError(
                "this gateway's seal key is not the one the database's kubeconfigs are sealed with: "
                    + "give every replica the same KUBEGALE_SEAL_KEY")
        }
    }

    public var sharedNonces: (any NonceLedger)? { self }

    public func close() async {
        runner.cancel()
        _ = await runner.value
    }

    // MARK: Clusters

    private static let columns = """
        id, name, description, sealed_kubeconfig, status, version, created_at, updated_at, impersonate, node_terminal
        """

    public func list(keyword: String?, ids: Set<Int64>?, offset: Int, limit: Int) async throws -> (
        records: [ClusterRecord], total: Int
    ) {
        if let ids, ids.isEmpty { return ([], 0) }
        let keyword = keyword.flatMap { $0.isEmpty ? nil : $0 }
        let idList = ids.map { Array($0).sorted() }
        return try await perform { client in
            var records: [ClusterRecord] = []
            var total = 0
            let page: PostgresQuery = try """
                SELECT \(unescaped: Self.columns), count(*) OVER () AS total FROM cluster
                WHERE (\(keyword)::text IS NULL OR strpos(lower(name), lower(\(keyword)::text)) > 0
                       OR strpos(lower(description), lower(\(keyword)::text)) > 0)
                  AND (\(idList)::bigint[] IS NULL OR id = ANY(\(idList)::bigint[]))
                ORDER BY id LIMIT \(Int64(limit)) OFFSET \(Int64(offset))
                """
            for try await row in try await client.query(page) {
                let (id, name, description, sealed, status, version, created, updated, impersonate, nodeTerminal, count) =
                    try row.decode((Int64, String, String, Data, String, String, Double, Double, Bool, Bool, Int64).self)
                records.append(
                    Self.record(id, name, description, sealed, status, version, created, updated, impersonate, nodeTerminal))
                total = Int(count)
            }
            if records.isEmpty, offset > 0 {
                // A page past the end still reports how many there are.
                let counted: PostgresQuery = try """
                    SELECT count(*) FROM cluster
                    WHERE (\(keyword)::text IS NULL OR strpos(lower(name), lower(\(keyword)::text)) > 0
                           OR strpos(lower(description), lower(\(keyword)::text)) > 0)
                      AND (\(idList)::bigint[] IS NULL OR id = ANY(\(idList)::bigint[]))
                    """
                for try await count in try await client.query(counted).decode(Int64.self) { total = Int(count) }
            }
            return (records, total)
        }
    }

    public func get(id: Int64) async throws -> ClusterRecord? {
        try await perform { client in
            try await Self.fetchOne(
                client, "SELECT \(unescaped: Self.columns) FROM cluster WHERE id = \(id)")
        }
    }

    public func insert(name: String, description: String, sealedKubeconfig: Data, settings: ClusterSettings) async throws
        -> ClusterRecord
    {
        let now = Date().timeIntervalSince1970
        let origin = self.origin
        do {
            return try await perform { client in
                try await client.withTransaction(logger: self.logger) { connection -> ClusterRecord in
                    let rows = try await connection.query(
                        """
                        INSERT INTO cluster (name, description, sealed_kubeconfig, impersonate, node_terminal, created_at,
                            updated_at)
                        VALUES (\(name), \(description), \(sealedKubeconfig), \(settings.impersonate), \(settings.nodeTerminal),
                            \(now), \(now))
                        RETURNING \(unescaped: Self.columns)
                        """, logger: self.logger)
                    guard let record = try await Self.records(rows).first else { throw APIError.internalError }
                    try await Self.notify(connection, .inserted, id: record.id, origin: origin, logger: self.logger)
                    return record
                }
            }
        } catch let error where Self.isUniqueViolation(error) {
            throw ClusterStoreError.duplicateName(name)
        }
    }

    public func update(id: Int64, changes: ClusterChanges) async throws -> ClusterRecord? {
        let now = Date().timeIntervalSince1970
        let origin = self.origin
        do {
            return try await perform { client in
                try await client.withTransaction(logger: self.logger) { connection -> ClusterRecord? in
                    // A new kubeconfig may point elsewhere: what was learned from the old one is forgotten.
                    let rows = try await connection.query(
                        """
                        UPDATE cluster SET
                            name = COALESCE(\(changes.name)::text, name),
                            description = COALESCE(\(changes.description)::text, description),
                            impersonate = COALESCE(\(changes.impersonate)::boolean, impersonate),
                            node_terminal = COALESCE(\(changes.nodeTerminal)::boolean, node_terminal),
                            status = CASE WHEN \(changes.sealedKubeconfig != nil) THEN 'unknown' ELSE status END,
                            version = CASE WHEN \(changes.sealedKubeconfig != nil) THEN '' ELSE version END,
                            sealed_kubeconfig = COALESCE(\(changes.sealedKubeconfig)::bytea, sealed_kubeconfig),
                            updated_at = \(now)
                        WHERE id = \(id)
                        RETURNING \(unescaped: Self.columns)
                        """, logger: self.logger)
                    guard let record = try await Self.records(rows).first else { return nil }
                    try await Self.notify(connection, .updated, id: id, origin: origin, logger: self.logger)
                    return record
                }
            }
        } catch let error where Self.isUniqueViolation(error) {
            throw ClusterStoreError.duplicateName(changes.name ?? "")
        }
    }

    public func setState(id: Int64, status: String, version: String) async throws {
        // Every replica probes; only a real change is written (and needs no announcement: the
        // state is read from the store by whoever lists it).
        try await perform { client in
            // Each pooled call's rows are read to the end: that is what returns its connection.
            for try await _ in try await client.query(
                """
                UPDATE cluster SET status = \(status), version = \(version)
                WHERE id = \(id) AND (status <> \(status) OR version <> \(version))
                """)
            {}
        }
    }

    public func delete(id: Int64) async throws -> Bool {
        let origin = self.origin
        return try await perform { client in
            try await client.withTransaction(logger: self.logger) { connection -> Bool in
                var deleted = false
                for try await _ in try await connection.query(
                    "DELETE FROM cluster WHERE id = \(id) RETURNING id", logger: self.logger)
                {
                    deleted = true
                }
                if deleted { try await Self.notify(connection, .deleted, id: id, origin: origin, logger: self.logger) }
                return deleted
            }
        }
    }

    public func checkHealth() async throws {
        try await perform(within: min(configuration.healthTimeout, configuration.operationTimeout)) { client in
            for try await _ in try await client.query("SELECT 1") {}
        }
    }

    // MARK: Rows

    static func fetchOne(_ client: PostgresClient, _ query: PostgresQuery) async throws -> ClusterRecord? {
        try await records(try await client.query(query)).first
    }

    static func records(_ rows: PostgresRowSequence) async throws -> [ClusterRecord] {
        var records: [ClusterRecord] = []
        for try await row in rows {
            let (id, name, description, sealed, status, version, created, updated, impersonate, nodeTerminal) =
                try row.decode((Int64, String, String, Data, String, String, Double, Double, Bool, Bool).self)
            records.append(record(id, name, description, sealed, status, version, created, updated, impersonate, nodeTerminal))
        }
        return records
    }

    static func record(
        _ id: Int64, _ name: String, _ description: String, _ sealed: Data, _ status: String, _ version: String,
        _ created: Double, _ updated: Double, _ impersonate: Bool, _ nodeTerminal: Bool
    ) -> ClusterRecord {
        ClusterRecord(
            id: id, name: name, description: description, sealedKubeconfig: sealed, status: status, version: version,
            createdAt: Date(timeIntervalSince1970: created), updatedAt: Date(timeIntervalSince1970: updated),
            settings: ClusterSettings(impersonate: impersonate, nodeTerminal: nodeTerminal))
    }
}
