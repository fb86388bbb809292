import Foundation
@testable import GaleGateway
import Logging
import PostgresNIO
import Synchronization
import Testing

/// A fresh database on the test PostgreSQL server (`KUBEGALE_TEST_POSTGRES_URL`, started by
/// scripts/test.sh), dropped afterwards.
struct TestDatabase {
    static let adminURL = ProcessInfo.processInfo.environment["KUBEGALE_TEST_POSTGRES_URL"].flatMap {
        $0.isEmpty ? nil : $0
    }
    static let inCI = ["1", "true", "yes"].contains(ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? "")

    /// Whether the PostgreSQL tests run: with a server, and always under CI (where a missing
    /// server is a failure, not a reason to skip).
    static var enabled: Bool {
        if adminURL != nil || inCI { return true }
        print("PostgreSQL tests skipped: KUBEGALE_TEST_POSTGRES_URL is not set (scripts/test.sh starts a server)")
        return false
    }

    let url: String

    /// Runs `body` with the URL of a new empty database.
    static func with<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        let admin = try #require(adminURL, "KUBEGALE_TEST_POSTGRES_URL must name a PostgreSQL server under CI")
        let name = "kubegale_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        try await execute(admin, "CREATE DATABASE \(name)")
        var components = try #require(URLComponents(string: admin))
        components.path = "/" + name
        let database = TestDatabase(url: try #require(components.string))
        do {
            let result = try await body(database)
            try? await execute(admin, "DROP DATABASE \(name) WITH (FORCE)")
            return result
        } catch {
            try? await execute(admin, "DROP DATABASE \(name) WITH (FORCE)")
            throw error
        }
    }

    /// Runs one statement on its own connection.
    static func execute(_ url: String, _ sql: String) async throws {
        guard case .postgres(let location) = try DatabaseLocation.postgres(url: url).kind else { return }
        let configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    func store(_ configuration: PostgresClusterStore.Configuration = .init()) async throws -> PostgresClusterStore {
        try await PostgresClusterStore(
            location: try .postgres(url: url), configuration: configuration, logger: Self.logger)
    }

    static let logger = Logger(label: "postgres-test")
}

@Suite("PostgreSQL store", .enabled(if: TestDatabase.enabled), .timeLimit(.minutes(2)))
struct PostgresStoreTests {
    @Test("the schema is migrated once, and every registry call works as on SQLite")
    func migratesAndRoundTrips() async throws {
        try await TestDatabase.with { database in
            let store = try await database.store()
            let sealed = Data([1, 2, 3, 0, 255])
            let prod = try await store.insert(
                name: "prod", description: "Production EU", sealedKubeconfig: sealed,
                settings: ClusterSettings(impersonate: false, nodeTerminal: true))
            #expect(prod.status == "unknown")
            #expect(prod.sealedKubeconfig == sealed)
            #expect(prod.settings == ClusterSettings(impersonate: false, nodeTerminal: true))
            let staging = try await store.insert(
                name: "staging", description: "", sealedKubeconfig: sealed, settings: ClusterSettings())
            #expect(staging.id > prod.id)

            await #expect(throws: ClusterStoreError.duplicateName("prod")) {
                _ = try await store.insert(name: "prod", description: "", sealedKubeconfig: sealed, settings: .init())
            }
            #expect(try await store.get(id: prod.id) == prod)
            #expect(try await store.get(id: 9999) == nil)

            let all = try await store.list(keyword: nil, ids: nil, offset: 0, limit: 10)
            #expect(all.total == 2)
            #expect(all.records.map(\.name) == ["prod", "staging"])
            let matching = try await store.list(keyword: "eu", ids: nil, offset: 0, limit: 10)
            #expect(matching.records.map(\.name) == ["prod"])
            #expect(matching.total == 1)
            let scoped = try await store.list(keyword: nil, ids: [staging.id, 4242], offset: 0, limit: 10)
            #expect(scoped.records.map(\.name) == ["staging"])
            #expect(try await store.list(keyword: nil, ids: [], offset: 0, limit: 10).total == 0)
            let pastTheEnd = try await store.list(keyword: nil, ids: nil, offset: 5, limit: 10)
            #expect(pastTheEnd.records.isEmpty)
            #expect(pastTheEnd.total == 2)
            let secondPage = try await store.list(keyword: nil, ids: nil, offset: 1, limit: 1)
            #expect(secondPage.records.map(\.name) == ["staging"])
            #expect(secondPage.total == 2)

            try await store.setState(id: prod.id, status: "active", version: "v1.31.0")
            let probed = try #require(try await store.get(id: prod.id))
            #expect(probed.status == "active")
            #expect(probed.version == "v1.31.0")

            let renamed = try #require(try await store.update(id: prod.id, changes: ClusterChanges(description: "EU")))
            #expect(renamed.description == "EU")
            #expect(renamed.status == "active")
            #expect(renamed.updatedAt >= probed.updatedAt)
            let rekeyed = try #require(
                try await store.update(id: prod.id, changes: ClusterChanges(sealedKubeconfig: Data([9]))))
            #expect(rekeyed.sealedKubeconfig == Data([9]))
            #expect(rekeyed.status == "unknown")
            #expect(rekeyed.version == "")
            #expect(rekeyed.settings.nodeTerminal)
            await #expect(throws: ClusterStoreError.self) {
                _ = try await store.update(id: staging.id, changes: ClusterChanges(name: "prod"))
            }
            #expect(try await store.update(id: 9999, changes: ClusterChanges(name: "x")) == nil)

            #expect(try await store.delete(id: staging.id))
            #expect(try await store.delete(id: staging.id) == false)
            try await store.checkHealth()
            await store.close()

            // A second start finds the schema current and the data where it was.
            let reopened = try await database.store()
            #expect(try await reopened.list(keyword: nil, ids: nil, offset: 0, limit: 10).records == [rekeyed])
            await reopened.close()
        }
    }

    @Test("replicas starting together migrate the schema once")
    func concurrentStartsMigrateOnce() async throws {
        try await TestDatabase.with { database in
            let stores = try await withThrowingTaskGroup(of: PostgresClusterStore.self) { group in
                for _ in 0..<3 { group.addTask { try await database.store() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(stores.count == 3)
            _ = try await stores[0].insert(name: "a", description: "", sealedKubeconfig: Data([1]), settings: .init())
            for store in stores {
                #expect(try await store.list(keyword: nil, ids: nil, offset: 0, limit: 10).total == 1)
                await store.close()
            }
        }
    }

    @Test("a nonce is used once among all the stores of a database")
    func nonceUsedOnce() async throws {
        try await TestDatabase.with { database in
            let first = try await database.store()
            let second = try await database.store()
            let expiry = Date().addingTimeInterval(60)
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for store in [first, second, first, second] {
                    group.addTask { try await store.markUsed("n-1", purpose: "test", expiresAt: expiry) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1)
            // The same value for another purpose is another nonce.
            #expect(try await second.markUsed("n-1", purpose: "other", expiresAt: expiry))
            await first.close()
            await second.close()
        }
    }

    @Test("registry changes reach the other stores of the database within a second")
    func changesReachOtherStores() async throws {
        try await TestDatabase.with { database in
            let writer = try await database.store()
            let reader = try await database.store()
            let heard = Mutex<[ClusterChange]>([])
            let ownChanges = Mutex(0)
            let following = Task { try await reader.followChanges { change in heard.withLock { $0.append(change) } } }
            let writerFollowing = Task { try await writer.followChanges { _ in ownChanges.withLock { $0 += 1 } } }
            defer {
                following.cancel()
                writerFollowing.cancel()
            }
            // The listener is up once a change made after it started arrives: write until one does.
            let first = try await writer.insert(name: "c0", description: "", sealedKubeconfig: Data([1]), settings: .init())
            var listening = false
            let deadline = ContinuousClock.now + .seconds(10)
            while !listening, ContinuousClock.now < deadline {
                _ = try await writer.update(id: first.id, changes: ClusterChanges(description: "ping"))
                listening = await Self.wait(within: .milliseconds(500)) { !heard.withLock { $0.isEmpty } }
            }
            #expect(listening, "the reader never heard a change")
            heard.withLock { $0.removeAll() }

            let created = try await writer.insert(name: "c1", description: "", sealedKubeconfig: Data([1]), settings: .init())
            _ = try await writer.update(id: created.id, changes: ClusterChanges(name: "c1-renamed"))
            #expect(try await writer.delete(id: created.id))
            let expected = [
                ClusterChange(.inserted, id: created.id), ClusterChange(.updated, id: created.id),
                ClusterChange(.deleted, id: created.id),
            ]
            // Pings still in flight may arrive first; what matters is the three, in order, within a second.
            let all = await Self.wait(within: .seconds(1)) {
                heard.withLock { $0.filter { $0.id == created.id } } == expected
            }
            #expect(all, "heard \(heard.withLock { $0 })")
            // A failed write announces nothing.
            heard.withLock { $0.removeAll() }
            _ = try? await writer.insert(name: "c0", description: "", sealedKubeconfig: Data([1]), settings: .init())
            let marker = try await writer.insert(name: "marker", description: "", sealedKubeconfig: Data([1]), settings: .init())
            #expect(await Self.wait(within: .seconds(1)) { heard.withLock { $0.contains { $0.id == marker.id } } })
            #expect(heard.withLock { $0 } == [ClusterChange(.inserted, id: marker.id)])
            #expect(ownChanges.withLock { $0 } == 0, "a store heard its own changes")
            following.cancel()
            writerFollowing.cancel()
            _ = await following.result
            _ = await writerFollowing.result
            await writer.close()
            await reader.close()
        }
    }

    @Test("a replica whose seal key differs from the database's is refused at start")
    func sealKeyShared() async throws {
        try await TestDatabase.with { database in
            let location = try DatabaseLocation.postgres(url: database.url)
            let first = try KubeconfigSealer(keyData: Data(base64Encoded: KubeconfigSealer.generateKey())!)
            let other = try KubeconfigSealer(keyData: Data(base64Encoded: KubeconfigSealer.generateKey())!)
            #expect(first.check != other.check)
            let store = try await PostgresClusterStore(
                location: location, sealKeyCheck: first.check, logger: TestDatabase.logger)
            let again = try await PostgresClusterStore(
                location: location, sealKeyCheck: first.check, logger: TestDatabase.logger)
            await again.close()
            do {
                _ = try await PostgresClusterStore(location: location, sealKeyCheck: other.check, logger: TestDatabase.logger)
                Issue.record("a gateway with another seal key was let in")
            } catch let error as ConfigurationError {
                #expect(error.description.contains("KUBEGALE_SEAL_KEY"))
            }
            await store.close()
        }
    }

    @Test("a database that cannot be reached fails the start with a message free of the password")
    func unreachableAtStart() async throws {
        let closedPort = 1  // nothing listens on 127.0.0.1:1
        let url = "postgres://kubegale:s3cret-pw@127.0.0.1:\(closedPort)/kubegale"
        let start = ContinuousClock.now
        do {
            _ = try await PostgresClusterStore(
                location: try .postgres(url: url), configuration: .init(startTimeout: .seconds(2)),
                logger: TestDatabase.logger)
            Issue.record("the store opened a database nobody serves")
        } catch let error as ConfigurationError {
            #expect(error.description.contains("cannot use the database postgres://kubegale@127.0.0.1:\(closedPort)/kubegale"))
            #expect(!error.description.contains("s3cret-pw"))
        }
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test("readiness answers within its own short bound while the database refuses connections")
    func readinessWithinHealthTimeout() async throws {
        try await TestDatabase.with { database in
            let admin = try #require(TestDatabase.adminURL)
            let name = try #require(URLComponents(string: database.url)).path.dropFirst()
            let store = try await database.store(.init(operationTimeout: .seconds(30), healthTimeout: .seconds(1)))
            try await store.checkHealth()

            // The database goes away for this store: new connections refused, open ones ended.
            try await TestDatabase.execute(admin, "ALTER DATABASE \(name) ALLOW_CONNECTIONS false")
            try await TestDatabase.execute(
                admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)'")
            let started = ContinuousClock.now
            let refusal = await #expect(throws: APIError.self) { try await store.checkHealth() }
            #expect(refusal?.message == APIError.databaseUnavailable.message)
            // Far below the 30 s a registry call would wait: a probe reads 503, not a timeout.
            #expect(ContinuousClock.now - started < .seconds(10))

            try await TestDatabase.execute(admin, "ALTER DATABASE \(name) ALLOW_CONNECTIONS true")
            var recovered = false
            for _ in 0..<100 where !recovered {
                recovered = (try? await store.checkHealth()) != nil
                if !recovered { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(recovered, "readiness did not recover once the database took connections again")
            await store.close()
        }
    }

    @Test("database URLs: defaults, TLS modes, and no password in what is shown")
    func locations() throws {
        let full = try DatabaseLocation.parse("postgresql://app:p%40ss@db.internal:6432/registry?sslmode=require")
        #expect(full.isShared)
        #expect(full.description == "postgres://app@db.internal:6432/registry")
        guard case .postgres(let location) = full.kind else { throw TestFailure("not postgres") }
        #expect(location.password == "p@ss")
        #expect(location.tls == .require)
        let short = try DatabaseLocation.parse("postgres://db")
        #expect(short.description == "postgres://postgres@db:5432/postgres")
        #expect(try DatabaseLocation.parse("sqlite").isShared == false)
        #expect(try DatabaseLocation.parse("").isShared == false)
        #expect(throws: ConfigurationError.self) { try DatabaseLocation.parse("mysql://u:secret@h/db") }
        do {
            _ = try DatabaseLocation.parse("postgres://u:secret@h/db?sslmode=sometimes")
            Issue.record("an unknown sslmode was accepted")
        } catch let error as ConfigurationError {
            #expect(!error.description.contains("secret"))
        }
    }

    /// Whether `condition` holds within `timeout`, checked every 10 ms.
    private static func wait(within timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}
