import GaleGateway
import GaleJSON
import HTTPTypes
import Testing

@Suite("Operation table")
struct OperationTableTests {
    private func table() -> OperationTable {
        var table = OperationTable()
        for (method, path) in [
            (HTTPRequest.Method.get, "/pods"), (.get, "/pods/{name}"), (.get, "/pods/metrics"),
            (.delete, "/pods/{name}"), (.get, "/clusters/{id}/namespaces"),
        ] {
            table.add(Operation(method, PathTemplate(path), role: .viewer, action: "test") { _ in .string(path) })
        }
        return table
    }

    @Test("literal segments win over parameters")
    func specificity() {
        guard case .found(let operation, let parameters) = table().resolve(method: .get, path: "/pods/metrics") else {
            Issue.record("not found")
            return
        }
        #expect(operation.path.description == "/pods/metrics")
        #expect(parameters.isEmpty)
    }

    @Test("parameters are captured and percent-decoded")
    func parameters() {
        guard case .found(_, let parameters) = table().resolve(method: .get, path: "/clusters/42/namespaces") else {
            Issue.record("not found")
            return
        }
        #expect(parameters == ["id": "42"])
        guard case .found(_, let decoded) = table().resolve(method: .delete, path: "/pods/web%2D0") else {
            Issue.record("not found")
            return
        }
        #expect(decoded == ["name": "web-0"])
    }

    @Test("a known path with another method, and an unknown path")
    func misses() {
        guard case .methodNotAllowed(let allowed) = table().resolve(method: .post, path: "/pods/web-0") else {
            Issue.record("expected methodNotAllowed")
            return
        }
        #expect(Set(allowed) == [.get, .delete])
        guard case .notFound = table().resolve(method: .get, path: "/pods/web-0/nothing") else {
            Issue.record("expected notFound")
            return
        }
    }
}
