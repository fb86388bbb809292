import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import KubeClient
import KubeSim
import NIOHTTP1
import NIOWebSocket
import Testing
import WSCore

/// Issue 9 points 2 and 3: the cluster's RBAC decides what each user sees — upstream calls
/// impersonate the user, shared watches authorize each subscriber with a SubjectAccessReview —
/// and viewers never get Secret values.
@Suite("Impersonation and access reviews")
struct ImpersonationTests {
    static let roles = KubeResource(
        group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", kind: "Role", namespaced: true)
    static let configMaps = KubeResource(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true)
    static let roleBindings = KubeResource(
        group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings", kind: "RoleBinding", namespaced: true)

    /// Lets `users` list and watch config maps in `demo` (a Role and one RoleBinding per user).
    static func grantConfigMaps(to users: [String], _ client: KubeClient) async throws {
        _ = try await client.create(
            roles, namespace: "demo",
            object: [
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": ["name": "cm-reader"],
                "rules": [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]]],
            ])
        for user in users {
            _ = try await client.create(
                roleBindings, namespace: "demo",
                object: [
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": ["name": .string("cm-reader-\(user)")],
                    "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "cm-reader"],
                    "subjects": [["apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": .string(user)]],
                ])
        }
    }

    @Test("viewers are refused Secrets by the cluster's RBAC over HTTP and on the socket; operators read them")
    func secretsByRBAC() async throws {
        try await SimCluster.with { cluster in
            let viewer = try await cluster.gateway.token(.viewer)
            let operatorToken = try await cluster.gateway.token(.operator)
            let (status, refused) = try await cluster.get("/secrets", ["namespace": "demo"], token: viewer)
            #expect(status == 403 && refused["code"]?.intValue == 1005, "\(refused)")
            let (_, listed) = try await cluster.get("/secrets", ["namespace": "demo"], token: operatorToken)
            #expect(listed["code"]?.intValue == 0, "\(listed)")
            // Viewers still read what the viewer binding allows.
            let (_, pods) = try await cluster.get("/pods", ["namespace": "demo"], token: viewer)
            #expect(pods["code"]?.intValue == 0, "\(pods)")

            try await cluster.gateway.socket(.init(token: viewer)) { socket in
                _ = try await socket.hello()
                let refusal = await #expect(throws: SubscribeRefused.self) {
                    _ = try await socket.subscribe([
                        "stream": "watch", "cluster": .int(cluster.id), "resource": "secrets", "namespace": "demo",
                    ])
                }
                #expect(refusal?.code == .forbidden)
                let read = try await socket.request("GET", "/secrets?namespace=demo&cluster_id=\(cluster.id)")
                #expect(read.code == .forbidden)
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test("two users share one upstream watch; each is authorized for it, and a revoked one is cut off with 1005")
    func sharedWatchPerUser() async throws {
        var live = LiveConfiguration.forTests
        live.watchLinger = .seconds(5)
        try await SimCluster.with(
            live: live,
            configure: {
                // Role groups nobody binds: only the bindings below give these users anything.
                $0.impersonation.roleGroupPrefix = "unbound:"
                // Every delivery asks again, so a revocation shows at the next change.
                $0.impersonation.accessReviewTTL = .zero
            }
        ) { cluster in
            let client = try cluster.kubeClient()
            defer { Task { try? await client.shutdown() } }
            try await Self.grantConfigMaps(to: ["carol", "erin"], client)
            let tokens = cluster.gateway.gateway.tokens
            let (carolToken, erinToken, daveToken) = (
                try await tokens.issue(subject: "carol", role: .viewer, clusters: .all, ttl: .seconds(600)),
                try await tokens.issue(subject: "erin", role: .viewer, clusters: .all, ttl: .seconds(600)),
                try await tokens.issue(subject: "dave", role: .viewer, clusters: .all, ttl: .seconds(600))
            )
            let subscribe: [String: GaleJSON.JSONValue] = [
                "stream": "watch", "cluster": .int(cluster.id), "resource": "configmaps", "namespace": "demo",
            ]
            let simulator = cluster.simulator
            let before = simulator.faults.openWatchCount(KubeSim.ResourceCatalog.configMaps)

            try await cluster.gateway.socket(.init(token: daveToken)) { socket in
                _ = try await socket.hello()
                let refusal = await #expect(throws: SubscribeRefused.self) { _ = try await socket.subscribe(subscribe) }
                #expect(refusal?.code == .forbidden)
                #expect(refusal?.message.contains("dave") == true)
                try await socket.outbound.close(.normalClosure, reason: nil)
            }

            let erinCode = Shared<ErrorCode?>(nil)
            try await cluster.gateway.socket(.init(token: carolToken)) { carol in
                _ = try await carol.hello()
                let carolChannel = try await carol.subscribe(subscribe)
                try await cluster.gateway.socket(.init(token: erinToken)) { erin in
                    _ = try await erin.hello()
                    let erinChannel = try await erin.subscribe(subscribe)
                    #expect(simulator.faults.openWatchCount(KubeSim.ResourceCatalog.configMaps) == before + 1)

                    // Erin loses her binding; the next change reaches Carol only.
                    try await client.delete(Self.roleBindings, namespace: "demo", name: "cm-reader-erin")
                    _ = try await client.create(
                        Self.configMaps, namespace: "demo",
                        object: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "after-revocation"]])
                    let frames = try await erin.receive { frame in
                        switch frame {
                        case .error(_, erinChannel?, _, _): true
                        case .event(let event): event.channel == erinChannel && "\(event.fields)".contains("after-revocation")
                        default: false
                        }
                    }
                    if case .error(_, _, let code, _)? = frames.last { erinCode.set(code) }
                    try await erin.outbound.close(.normalClosure, reason: nil)
                }
                _ = try await carol.receive { frame in
                    if case .event(let event) = frame {
                        event.channel == carolChannel && "\(event.fields)".contains("after-revocation")
                    } else {
                        false
                    }
                }
                try await carol.outbound.close(.normalClosure, reason: nil)
            }
            #expect(erinCode.get() == .forbidden)
        }
    }

    @Test("on a cluster that does not impersonate, viewers get Secrets without values; admins with them")
    func secretValuesRedacted() async throws {
        try await SimCluster.with(settings: ["impersonate": false]) { cluster in
            let secret: GaleJSON.JSONValue = [
                "apiVersion": "v1", "kind": "Secret",
                "metadata": [
                    "name": "db", "annotations": ["kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"aHVudGVyMg==\"}}"],
                ],
                "data": ["password": "aHVudGVyMg=="], "type": "Opaque",
            ]
            let (_, created) = try await cluster.send(.POST, "/secrets", ["namespace": "demo", "content": secret])
            #expect(created["code"]?.intValue == 0, "\(created)")
            let viewer = try await cluster.gateway.token(.viewer)

            let (_, one) = try await cluster.get("/secrets/db", ["namespace": "demo"], token: viewer)
            #expect(one["data"]?["data"]?["password"]?.stringValue == "")
            #expect(!one.jsonString.contains("aHVudGVyMg"))
            let (_, list) = try await cluster.get("/secrets", ["namespace": "demo"], token: viewer)
            #expect(list["code"]?.intValue == 0)
            #expect(!list.jsonString.contains("aHVudGVyMg"))
            let (_, asAdmin) = try await cluster.get("/secrets/db", ["namespace": "demo"])
            #expect(asAdmin["data"]?["data"]?["password"]?.stringValue == "aHVudGVyMg==")

            try await cluster.gateway.socket(.init(token: viewer)) { socket in
                _ = try await socket.hello()
                let channel = try await socket.subscribe([
                    "stream": "watch", "cluster": .int(cluster.id), "resource": "secrets", "namespace": "demo",
                ])
                var view = WatchView()
                try await socket.follow(channel, into: &view) { $0.synced }
                #expect(view.objects.values.contains { $0["metadata"]?["name"] == "db" })
                #expect(!view.objects.values.contains { $0.jsonString.contains("aHVudGVyMg") })
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
        }
    }
}
