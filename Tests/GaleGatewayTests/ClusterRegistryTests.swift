import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import NIOWebSocket
import NIOHTTP1
import Testing
import WSCore

@Suite("Cluster registry")
struct ClusterRegistryTests {
    @Test("CRUD over HTTP and over WebSocket agree")
    func crudAgrees() async throws {
        try await TestGateway.with { gateway in
            let token = try await gateway.token()
            let (status, created) = try await gateway.http(
                .POST, "/clusters", token: token,
                body: ["name": "prod", "description": "production", "kubeconfig": .string(Kubeconfigs.valid)]
            )
            #expect(status == 200)
            let cluster = try #require(created["data"])
            let id = try #require(cluster["id"]?.intValue)
            // Registering probes the cluster; nothing listens on 127.0.0.1:1.
            #expect(cluster["status"]?.stringValue == "unreachable")
            #expect(cluster["kubeconfig"] == nil)

            try await gateway.socket(.init(token: token)) { socket in
                _ = try await socket.hello()
                let read = try await socket.request("GET", "/clusters/\(id)")
                #expect(read.code == .ok)
                #expect(read.data == cluster)

                let updated = try await socket.confirmed("PUT", "/clusters/\(id)", body: ["description": "prod (eu)"])
                #expect(updated.data["description"]?.stringValue == "prod (eu)")
                let (_, overHTTP) = try await gateway.http(.GET, "/clusters/\(id)", token: token)
                #expect(overHTTP["data"] == updated.data)

                let second = try await socket.request(
                    "POST", "/clusters", body: ["name": "staging", "kubeconfig": .string(Kubeconfigs.valid)]
                )
                #expect(second.code == .ok)
                let listed = try await socket.request("GET", "/clusters?page=1&pageSize=20")
                let (_, listedHTTP) = try await gateway.http(.GET, "/clusters?page=1&pageSize=20", token: token)
                #expect(listedHTTP["data"] == listed.data)
                #expect(listed.data["total"]?.intValue == 2)
                #expect(listed.data["list"] == listed.data["items"])

                let deleted = try await socket.confirmed("DELETE", "/clusters/\(id)")
                #expect(deleted.code == .ok)
                let gone = try await socket.request("GET", "/clusters/\(id)")
                #expect(gone.code == .clusterNotFound)
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
            let (missingStatus, missing) = try await gateway.http(.GET, "/clusters/\(id)", token: token)
            #expect(missingStatus == 404)
            #expect(missing["code"]?.intValue == 1002)
        }
    }

    @Test("paging and keyword search")
    func pagingAndKeyword() async throws {
        try await TestGateway.with { gateway in
            let token = try await gateway.token()
            for index in 1...7 {
                let name = index % 2 == 0 ? "edge-\(index)" : "core-\(index)"
                let (status, _) = try await gateway.http(
                    .POST, "/clusters", token: token, body: ["name": .string(name), "kubeconfig": .string(Kubeconfigs.valid)]
                )
                #expect(status == 200)
            }
            let (_, page2) = try await gateway.http(.GET, "/clusters?page=2&pageSize=3", token: token)
            #expect(page2["data"]?["total"]?.intValue == 7)
            #expect(page2["data"]?["page"]?.intValue == 2)
            #expect(page2["data"]?["pageSize"]?.intValue == 3)
            #expect(page2["data"]?["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["edge-4", "core-5", "edge-6"])
            let (_, edges) = try await gateway.http(.GET, "/clusters?keyword=EDGE", token: token)
            #expect(edges["data"]?["total"]?.intValue == 3)
            let (status, bad) = try await gateway.http(.GET, "/clusters?pageSize=0", token: token)
            #expect(status == 400)
            #expect(bad["code"]?.intValue == 1001)
        }
    }

    @Test("invalid kubeconfigs and duplicate names are refused with 1001 and a reason")
    func validation() async throws {
        try await TestGateway.with { gateway in
            let token = try await gateway.token()
            let cases: [(String, String)] = [
                ("not: [valid", "not valid YAML"),
                (Kubeconfigs.noCurrentContext, "current-context"),
                (Kubeconfigs.noServer, "server"),
            ]
            for (kubeconfig, reason) in cases {
                let (status, envelope) = try await gateway.http(
                    .POST, "/clusters", token: token, body: ["name": "bad", "kubeconfig": .string(kubeconfig)]
                )
                #expect(status == 400)
                #expect(envelope["code"]?.intValue == 1001)
                let message = try #require(envelope["msg"]?.stringValue)
                #expect(message.contains(reason), "\(message)")
                #expect(!message.contains(Kubeconfigs.secretMarker))
            }
            let body: JSONValue = ["name": "twice", "kubeconfig": .string(Kubeconfigs.valid)]
            #expect(try await gateway.http(.POST, "/clusters", token: token, body: body).status == 200)
            let (_, duplicate) = try await gateway.http(.POST, "/clusters", token: token, body: body)
            #expect(duplicate["code"]?.intValue == 1001)
            #expect(duplicate["msg"]?.stringValue?.contains("already exists") == true)
        }
    }

    @Test("a kubeconfig is never returned, logged, or stored in the clear")
    func kubeconfigStaysSecret() async throws {
        try await TestGateway.with { gateway in
            let token = try await gateway.token()
            var bodies: [String] = []
            let (_, created) = try await gateway.http(
                .POST, "/clusters", token: token, body: ["name": "secret", "kubeconfig": .string(Kubeconfigs.valid)]
            )
            bodies.append(created.jsonString)
            let id = try #require(created["data"]?["id"]?.intValue)
            let (_, asked) = try await gateway.http(
                .PUT, "/clusters/\(id)", token: token, body: ["kubeconfig": .string(Kubeconfigs.valid)]
            )
            bodies.append(asked.jsonString)
            let (_, updated) = try await gateway.http(
                .PUT, "/clusters/\(id)", token: token,
                body: ["kubeconfig": .string(Kubeconfigs.valid), "confirm_token": asked["data"]?["confirm_token"] ?? .null]
            )
            bodies.append(updated.jsonString)
            bodies.append(try await gateway.http(.GET, "/clusters/\(id)", token: token).envelope.jsonString)
            bodies.append(try await gateway.http(.GET, "/clusters", token: token).envelope.jsonString)
            try await gateway.socket(.init(token: token)) { socket in
                _ = try await socket.hello()
                let read = try await socket.request("GET", "/clusters/\(id)")
                #expect(!read.data.jsonString.contains(Kubeconfigs.secretMarker))
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
            for body in bodies {
                #expect(!body.contains(Kubeconfigs.secretMarker))
                #expect(!body.contains("\"kubeconfig\":"))
            }
            #expect(!gateway.logs.text.isEmpty)
            #expect(!gateway.logs.text.contains(Kubeconfigs.secretMarker))
            let directory = gateway.gateway.configuration.dataDirectory
            for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
                let bytes = try Data(contentsOf: directory.appendingPathComponent(file))
                #expect(bytes.range(of: Data(Kubeconfigs.secretMarker.utf8)) == nil, "\(file) holds the kubeconfig in the clear")
            }
            // And it is really there, sealed: the registry can open it for the Kubernetes layer.
            let record = try #require(try await gateway.gateway.registry.store.get(id: id))
            #expect(try gateway.gateway.registry.kubeconfig(of: record) == Kubeconfigs.valid)
        }
    }
}
