import Foundation
import GaleJSON
@testable import GaleGateway
import Testing

/// The features' documents, the same checks on both stores: SQLite always, PostgreSQL when the
/// test command started one.
@Suite("Document store", .timeLimit(.minutes(2)))
struct DocumentStoreTests {
    static let template = DocumentKind("test-template")
    static let rule = DocumentKind("test-rule")
    static let history = DocumentKind("test-history")

    @Test("SQLite: documents round-trip, page, search, update with revisions, delete with their entries")
    func sqlite() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubegale-documents-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteClusterStore(path: directory.appendingPathComponent("registry.sqlite").path)
        try await Self.exercise(store)
    }

    @Test(
        "PostgreSQL: the same, and two stores on one database see each other's documents",
        .enabled(if: TestDatabase.enabled))
    func postgres() async throws {
        try await TestDatabase.with { database in
            let store = try await database.store()
            let other = try await database.store()
            try await Self.exercise(store)
            let shared = try await store.insertDocument(Self.rule, name: "shared", body: ["threshold": 3])
            #expect(try await other.document(Self.rule, id: shared.id)?.body == ["threshold": 3])
            // Two replicas racing for one claim: exactly one gets it.
            let now = Date()
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for replica in [store, other, store, other] {
                    group.addTask {
                        try await replica.claim(
                            Self.claims, owner: shared.id, key: "tick:1", now: now, until: now.addingTimeInterval(60))
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1)
            await store.close()
            await other.close()
        }
    }

    static func exercise(_ store: some DocumentStore) async throws {
        let body: JSONValue = ["manifests": "kind: ConfigMap", "parameters": [["name": "replicas", "default": 2]]]
        let web = try await store.insertDocument(template, name: "Web app", body: body)
        #expect(web.revision == 1)
        #expect(web.name == "Web app")
        #expect(try await store.document(template, id: web.id)?.body == body)
        // Names are unique per kind, not across kinds; ids do not cross kinds.
        await #expect(throws: DocumentStoreError.duplicateName("Web app")) {
            try await store.insertDocument(template, name: "Web app", body: [:])
        }
        let sameName = try await store.insertDocument(rule, name: "Web app", body: [:])
        #expect(try await store.document(template, id: sameName.id) == nil)

        for index in 1...4 { _ = try await store.insertDocument(template, name: "cron \(index)", body: ["n": .int(Int64(index))]) }
        let page = try await store.documents(template, keyword: nil, offset: 1, limit: 2)
        #expect(page.total == 5)
        #expect(page.documents.map(\.name) == ["cron 1", "cron 2"])
        let found = try await store.documents(template, keyword: "CRON", offset: 0, limit: 10)
        #expect(found.total == 4)
        #expect(try await store.allDocuments(template).count == 5)

        let edited = try #require(
            try await store.updateDocument(template, id: web.id, name: "Web", body: ["v": 2], expectedRevision: 1))
        #expect(edited.revision == 2)
        #expect(edited.body == ["v": 2])
        await #expect(throws: DocumentStoreError.revisionConflict(current: 2)) {
            try await store.updateDocument(template, id: web.id, name: "Web", body: ["v": 3], expectedRevision: 1)
        }
        await #expect(throws: DocumentStoreError.duplicateName("cron 1")) {
            try await store.updateDocument(template, id: web.id, name: "cron 1", body: [:], expectedRevision: nil)
        }
        #expect(try await store.updateDocument(template, id: 999_999, name: "x", body: [:], expectedRevision: nil) == nil)

        let first = try await store.appendEntry(history, owner: web.id, body: ["state": "pending"])
        let second = try await store.appendEntry(history, owner: web.id, body: ["state": "firing"])
        _ = try await store.appendEntry(history, owner: sameName.id, body: ["state": "pending"])
        #expect(second.id > first.id)
        let log = try await store.entries(history, owner: web.id, offset: 0, limit: 10)
        #expect(log.total == 2)
        #expect(log.entries.map(\.body) == [["state": "firing"], ["state": "pending"]])
        #expect(try await store.entries(history, owner: nil, offset: 0, limit: 1).total == 3)

        #expect(try await store.deleteDocument(template, id: web.id))
        #expect(try await !store.deleteDocument(template, id: web.id))
        #expect(try await store.entries(history, owner: web.id, offset: 0, limit: 10).total == 0)
        #expect(try await store.pruneEntries(history, olderThan: Date().addingTimeInterval(1)) == 1)
        #expect(try await store.entries(history, owner: nil, offset: 0, limit: 10).total == 0)
        try await exerciseClaims(store)
    }

    static let claims = DocumentKind("test-claim")

    /// A claim is held until it expires, then taken over; keys, owners and logs are apart.
    static func exerciseClaims(_ store: some DocumentStore) async throws {
        let now = Date()
        let minute = now.addingTimeInterval(60)
        #expect(try await store.claim(claims, owner: 1, key: "tick:100", now: now, until: minute))
        #expect(try await !store.claim(claims, owner: 1, key: "tick:100", now: now, until: minute))
        let almost = now.addingTimeInterval(59)
        #expect(try await !store.claim(claims, owner: 1, key: "tick:100", now: almost, until: minute))
        #expect(try await store.claim(claims, owner: 1, key: "tick:160", now: now, until: minute))
        #expect(try await store.claim(claims, owner: 2, key: "tick:100", now: now, until: minute))
        #expect(try await store.claim(history, owner: 1, key: "tick:100", now: now, until: minute))
        // Expired: the next claimant takes it over, and then holds it in turn.
        let (later, laterMinute) = (now.addingTimeInterval(61), now.addingTimeInterval(121))
        #expect(try await store.claim(claims, owner: 1, key: "tick:100", now: later, until: laterMinute))
        #expect(try await !store.claim(claims, owner: 1, key: "tick:100", now: later, until: laterMinute))
        // Racing claimants: exactly one wins.
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask { try await store.claim(claims, owner: 3, key: "race", now: now, until: minute) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
        #expect(try await store.pruneClaims(expiredBefore: later.addingTimeInterval(1)) == 4)
        #expect(try await store.claim(claims, owner: 1, key: "tick:160", now: now, until: minute))
    }
}
