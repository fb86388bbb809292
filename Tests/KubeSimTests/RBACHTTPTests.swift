import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import Testing

/// RBAC, impersonation and access reviews over HTTP: the refusal bodies, and nothing changed by a refused write.
@Suite(.serialized) struct RBACHTTPTests {
    @Test func deniedRequestsGetTheApiserversForbiddenStatus() async throws {
        try await SimFixture.withServer(RBACFixture.configuration()) { server in
            let bob = RBACClient(server, token: "bob-token")
            let list = try await bob.get("/api/v1/namespaces/default/pods")
            #expect(list.status == 403)
            #expect(list.json["kind"] == "Status" && list.json["reason"] == "Forbidden" && list.json["code"] == 403)
            #expect(
                list.json["message"]
                    == "pods is forbidden: User \"bob\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""
            )
            #expect(list.json["details"] == ["kind": "pods"])
            let scale = try await bob.get("/apis/apps/v1/namespaces/demo/deployments/nginx/scale")
            #expect(
                scale.json["message"]
                    == "deployments.apps \"nginx\" is forbidden: User \"bob\" cannot get resource \"deployments/scale\" in API group \"apps\" in the namespace \"demo\""
            )
            let nodes = try await bob.get("/api/v1/nodes")
            #expect(
                nodes.json["message"]
                    == "nodes is forbidden: User \"bob\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
            )
            let faults = try await bob.request(.POST, "/_kubesim/faults/fail?count=5")
            #expect(faults.status == 403)
            #expect(faults.json["message"] == "forbidden: User \"bob\" cannot post path \"/_kubesim/faults/fail\"")
            // A refused write changes nothing.
            let before = server.store.currentResourceVersion
            let create = try await bob.request(
                .POST, "/api/v1/namespaces/default/configmaps", body: ["metadata": ["name": "sneaky"]])
            #expect(create.status == 403)
            #expect(server.store.find(ResourceCatalog.configMaps, namespace: "default", name: "sneaky") == nil)
            let delete = try await bob.request(.DELETE, "/apis/apps/v1/namespaces/demo/deployments/nginx")
            #expect(
                delete.status == 403
                    && delete.json["message"]
                        == "deployments.apps \"nginx\" is forbidden: User \"bob\" cannot delete resource \"deployments\" in API group \"apps\" in the namespace \"demo\""
            )
            #expect(server.store.find(ResourceCatalog.deployments, namespace: "demo", name: "nginx") != nil)
            #expect(try await SimClient(server).get("/api/v1/namespaces/default/configmaps/sneaky").status == 404)
            _ = before
            // Discovery and self reviews stay open to every authenticated user; no token is still 401.
            #expect(try await bob.get("/apis").status == 200)
            #expect(try await bob.get("/api/v1").status == 200)
            #expect(try await bob.get("/version").status == 200)
            #expect(try await SimClient(server, token: "wrong").get("/api/v1/namespaces/default/pods").status == 401)
            #expect(try await SimClient(server, token: "wrong").get("/apis").status == 401)
        }
    }

    @Test func viewerAndOperatorTokens() async throws {
        try await SimFixture.withServer(RBACFixture.configuration()) { server in
            let viewer = RBACClient(server, token: "vic-token")
            #expect(try await viewer.get("/api/v1/namespaces/demo/pods").status == 200)
            #expect(try await viewer.get("/api/v1/nodes").status == 200)
            #expect(try await viewer.get("/api/v1/namespaces/demo/secrets").status == 403)
            let write = try await viewer.request(
                .POST, "/api/v1/namespaces/demo/configmaps", body: ["metadata": ["name": "by-viewer"]])
            #expect(write.status == 403)
            #expect(server.store.find(ResourceCatalog.configMaps, namespace: "demo", name: "by-viewer") == nil)
            let operatorClient = RBACClient(server, token: "carol-token")
            #expect(try await operatorClient.get("/api/v1/namespaces/demo/secrets").status == 200)
            let created = try await operatorClient.request(
                .POST, "/api/v1/namespaces/demo/configmaps", body: ["metadata": ["name": "by-operator"]])
            #expect(created.status == 201)
            // Exec is authorized before anything else: a viewer gets 403, an operator reaches the endpoint.
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try #require(
                server.store.list(ResourceCatalog.pods, filter: .init(namespace: "demo")).items.first?[path: [
                    "metadata", "name",
                ]]?.stringValue)
            let viewerExec = try await viewer.request(.POST, "/api/v1/namespaces/demo/pods/\(pod)/exec?command=ls")
            #expect(viewerExec.status == 403)
            #expect(
                viewerExec.json["message"]
                    == .string(
                        "pods \"\(pod)\" is forbidden: User \"vic\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"demo\""
                    ))
            #expect(
                try await operatorClient.request(.POST, "/api/v1/namespaces/demo/pods/\(pod)/exec?command=ls").status
                    == 400)
            #expect(try await viewer.get("/api/v1/namespaces/demo/pods/\(pod)/log?tailLines=1").status == 200)
        }
    }

    @Test func impersonationAllowedAndRefused() async throws {
        try await SimFixture.withServer(RBACFixture.configuration()) { server in
            let asViewer = RBACClient(
                server, token: server.token,
                impersonate: [("Impersonate-User", "bob"), ("Impersonate-Group", "kubegale:viewer")])
            #expect(try await asViewer.get("/api/v1/namespaces/demo/pods").status == 200)
            let secrets = try await asViewer.get("/api/v1/namespaces/demo/secrets")
            #expect(secrets.status == 403)
            #expect(
                secrets.json["message"]
                    == "secrets is forbidden: User \"bob\" cannot list resource \"secrets\" in API group \"\" in the namespace \"demo\""
            )
            let whoami = try await asViewer.request(
                .POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                body: ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"])
            #expect(whoami.status == 201)
            #expect(
                whoami.json[path: ["status", "userInfo"]] == [
                    "username": "bob", "groups": ["kubegale:viewer", "system:authenticated"],
                ])
            let twoGroups = RBACClient(
                server, token: server.token,
                impersonate: [
                    ("Impersonate-User", "bob"), ("Impersonate-Group", "a"), ("Impersonate-Group", "kubegale:operator"),
                    ("Impersonate-Extra-Scopes", "x"),
                ])
            let operatorWhoami = try await twoGroups.request(
                .POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: .object([:]))
            #expect(
                operatorWhoami.json[path: ["status", "userInfo", "groups"]] == [
                    "a", "kubegale:operator", "system:authenticated",
                ])
            #expect(operatorWhoami.json[path: ["status", "userInfo", "extra"]] == ["scopes": ["x"]])
            let serviceAccount = RBACClient(
                server, token: server.token, impersonate: [("Impersonate-User", "system:serviceaccount:demo:viewer")])
            let saWhoami = try await serviceAccount.request(
                .POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: .object([:]))
            #expect(
                saWhoami.json[path: ["status", "userInfo", "groups"]] == [
                    "system:serviceaccounts", "system:serviceaccounts:demo", "system:authenticated",
                ])
            // The demo binding view-pods-demo lets that service account read pods cluster-wide, nothing else.
            #expect(try await serviceAccount.get("/api/v1/namespaces/staging/pods").status == 200)
            #expect(try await serviceAccount.get("/api/v1/namespaces/demo/configmaps").status == 403)

            // An operator may not impersonate: 403 naming what it tried, and the write behind it did not happen.
            let sneaky = RBACClient(server, token: "carol-token", impersonate: [("Impersonate-User", "alice")])
            let refused = try await sneaky.request(
                .POST, "/api/v1/namespaces/demo/configmaps", body: ["metadata": ["name": "as-alice"]])
            #expect(refused.status == 403)
            #expect(refused.json["reason"] == "Forbidden")
            #expect(
                refused.json["message"]
                    == "users \"alice\" is forbidden: User \"carol\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
            )
            #expect(server.store.find(ResourceCatalog.configMaps, namespace: "demo", name: "as-alice") == nil)
            let asAdminGroup = RBACClient(
                server, token: "carol-token",
                impersonate: [("Impersonate-User", "carol"), ("Impersonate-Group", "system:masters")])
            #expect(try await asAdminGroup.get("/api/v1/namespaces/demo/secrets").status == 403)
            // Groups without a user: refused as the apiserver refuses it.
            let groupOnly = RBACClient(
                server, token: server.token, impersonate: [("Impersonate-Group", "kubegale:admin")])
            let groupOnlyAnswer = try await groupOnly.get("/api/v1/namespaces/demo/pods")
            #expect(groupOnlyAnswer.status == 500 && groupOnlyAnswer.json["reason"] == "InternalError")

            // Granting impersonation of one user by RBAC lets carol act as exactly that user.
            let admin = SimClient(server)
            let role: JSONValue = [
                "metadata": ["name": "impersonate-dave"],
                "rules": [
                    ["apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"], "resourceNames": ["dave"]]
                ],
            ]
            #expect(
                try await admin.request(.POST, "/apis/rbac.authorization.k8s.io/v1/clusterroles", body: role).status
                    == 201)
            let binding: JSONValue = [
                "metadata": ["name": "carol-impersonates-dave"],
                "roleRef": [
                    "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "impersonate-dave",
                ],
                "subjects": [["kind": "User", "name": "carol"]],
            ]
            #expect(
                try await admin.request(.POST, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", body: binding)
                    .status == 201)
            let asDave = RBACClient(server, token: "carol-token", impersonate: [("Impersonate-User", "dave")])
            let daveList = try await asDave.get("/api/v1/namespaces/demo/pods")
            #expect(daveList.status == 403)
            #expect(
                daveList.json["message"]
                    == "pods is forbidden: User \"dave\" cannot list resource \"pods\" in API group \"\" in the namespace \"demo\""
            )
            let asErin = RBACClient(server, token: "carol-token", impersonate: [("Impersonate-User", "erin")])
            #expect(
                try await asErin.get("/api/v1/namespaces/demo/pods").json["message"]
                    == "users \"erin\" is forbidden: User \"carol\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
            )
        }
    }

    @Test func subjectAccessReviews() async throws {
        try await SimFixture.withServer(RBACFixture.configuration()) { server in
            let admin = RBACClient(server, token: server.token)
            let path = "/apis/authorization.k8s.io/v1/subjectaccessreviews"
            let allowed = try await admin.request(
                .POST, path,
                body: RBACFixture.accessReview(
                    user: "bob", groups: ["kubegale:viewer"], verb: "list", resource: "pods", namespace: "demo"))
            #expect(allowed.status == 201)
            #expect(allowed.json["kind"] == "SubjectAccessReview")
            #expect(allowed.json[path: ["status", "allowed"]] == true)
            #expect(
                allowed.json[path: ["status", "reason"]]
                    == "RBAC: allowed by ClusterRoleBinding \"kubegale-viewers\" of ClusterRole \"kubegale-viewer\" to Group \"kubegale:viewer\""
            )
            let denied = try await admin.request(
                .POST, path,
                body: RBACFixture.accessReview(
                    user: "bob", groups: ["kubegale:viewer"], verb: "get", resource: "secrets", namespace: "demo"))
            #expect(denied.json[path: ["status", "allowed"]] == false)
            #expect(denied.json[path: ["status", "denied"]] == nil)
            let exec = try await admin.request(
                .POST, path,
                body: RBACFixture.accessReview(
                    user: "x", groups: ["kubegale:operator"], verb: "create", resource: "pods", subresource: "exec",
                    namespace: "demo"))
            #expect(exec.json[path: ["status", "allowed"]] == true)
            let nonResource: JSONValue = [
                "spec": [
                    "user": "bob", "groups": ["system:authenticated"],
                    "nonResourceAttributes": ["path": "/apis", "verb": "get"],
                ]
            ]
            #expect(try await admin.request(.POST, path, body: nonResource).json[path: ["status", "allowed"]] == true)
            let empty = try await admin.request(
                .POST, path, body: ["spec": ["resourceAttributes": ["verb": "get", "resource": "pods"]]])
            #expect(empty.status == 422)
            // Nothing of it is stored, and a user without `create` on subjectaccessreviews is refused.
            #expect(try await admin.get(path).status == 405)
            let bob = RBACClient(server, token: "bob-token")
            let refused = try await bob.request(
                .POST, path, body: RBACFixture.accessReview(user: "bob", verb: "list", resource: "pods"))
            #expect(refused.status == 403)
            #expect(
                refused.json["message"]
                    == "subjectaccessreviews.authorization.k8s.io is forbidden: User \"bob\" cannot create resource \"subjectaccessreviews\" in API group \"authorization.k8s.io\" at the cluster scope"
            )

            // Self reviews: anyone authenticated may ask about themselves.
            let viewer = RBACClient(server, token: "vic-token")
            let selfReview: JSONValue = [
                "spec": [
                    "resourceAttributes": [
                        "verb": "watch", "resource": "deployments", "group": "apps", "namespace": "demo",
                    ]
                ]
            ]
            let own = try await viewer.request(
                .POST, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body: selfReview)
            #expect(own.status == 201 && own.json[path: ["status", "allowed"]] == true)
            let rules = try await viewer.request(
                .POST, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", body: ["spec": ["namespace": "demo"]])
            #expect(rules.status == 201 && rules.json[path: ["status", "incomplete"]] == false)
            let resourceRules = rules.json[path: ["status", "resourceRules"]]?.arrayValue ?? []
            #expect(
                resourceRules.contains {
                    ($0["resources"]?.arrayValue ?? []).contains("pods")
                        && ($0["verbs"]?.arrayValue ?? []).contains("list")
                })
            #expect(!resourceRules.contains { ($0["resources"]?.arrayValue ?? []).contains("secrets") })
            #expect(
                (rules.json[path: ["status", "nonResourceRules"]]?.arrayValue ?? []).contains {
                    ($0["nonResourceURLs"]?.arrayValue ?? []).contains("/apis/*")
                })
            let groups = try await viewer.get("/apis")
            let names = groups.json["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("authorization.k8s.io") && names.contains("authentication.k8s.io"))
            let authorizationResources = try await viewer.get("/apis/authorization.k8s.io/v1")
            let ssar = authorizationResources.json["resources"]?.arrayValue?.first {
                $0["name"] == "selfsubjectaccessreviews"
            }
            #expect(ssar?["verbs"] == ["create"])
        }
    }

    @Test func defaultPolicyInAnEmptyClusterAndAfterAFreshStart() async throws {
        var configuration = RBACFixture.configuration()
        configuration.seedDemoData = false
        for _ in 0..<2 {
            // Each server is a fresh cluster: the default roles and the gateway's bindings are there without demo data.
            try await SimFixture.withServer(configuration) { server in
                for name in [
                    "cluster-admin", "kubegale-viewers", "kubegale-operators", "kubegale-admins", "system:discovery",
                    "system:basic-user",
                ] {
                    #expect(
                        server.store.find(ResourceCatalog.clusterRoleBindings, namespace: nil, name: name) != nil,
                        "\(name)")
                }
                for name in ["cluster-admin", "admin", "edit", "view", "kubegale-viewer", "kubegale-operator"] {
                    #expect(
                        server.store.find(ResourceCatalog.clusterRoles, namespace: nil, name: name) != nil, "\(name)")
                }
                #expect(server.store.find(ResourceCatalog.namespaces, namespace: nil, name: "demo") == nil)
                let viewerNodes = try await RBACClient(server, token: "vic-token").get("/api/v1/nodes")
                let plainNodes = try await RBACClient(server, token: "bob-token").get("/api/v1/nodes")
                #expect(viewerNodes.status == 200 && plainNodes.status == 403)
            }
        }
    }

    @Test func reviewsReadFromProtobuf() async throws {
        try await SimFixture.withServer(RBACFixture.configuration()) { server in
            // A SelfSubjectAccessReview as typed clients encode it: "k8s\0", runtime.Unknown{2: raw}, the review
            // {2: spec}, the spec {1: resourceAttributes {1: namespace, 2: verb, 5: resource}}.
            func field(_ number: UInt8, _ bytes: [UInt8]) -> [UInt8] { [number << 3 | 2, UInt8(bytes.count)] + bytes }
            let attributes =
                field(1, Array("demo".utf8)) + field(2, Array("list".utf8)) + field(5, Array("secrets".utf8))
            let review = field(2, field(1, attributes))
            let body = [0x6B, 0x38, 0x73, 0x00] + field(2, review)
            var request = HTTPClientRequest(url: server.url! + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/vnd.kubernetes.protobuf")
            request.body = .bytes(ByteBuffer(bytes: body))
            for (token, allowed) in [("vic-token", false), ("carol-token", true)] {
                var asUser = request
                asUser.headers.add(name: "Authorization", value: "Bearer \(token)")
                let response = try await HTTPClient.shared.execute(asUser, timeout: .seconds(10))
                let answer = try JSONValue(parsing: try await response.body.collect(upTo: 1 << 20).readableBytesView)
                #expect(response.status.code == 201)
                #expect(answer[path: ["spec", "resourceAttributes", "resource"]] == "secrets")
                #expect(answer[path: ["status", "allowed"]] == .bool(allowed))
            }
        }
    }

    @Test func watchesAreAuthorizedAndCounted() async throws {
        try await SimFixture.withServer(RBACFixture.configuration()) { server in
            let viewer = RBACClient(server, token: "vic-token")
            let refused = try await viewer.get("/api/v1/namespaces/demo/secrets?watch=true")
            #expect(refused.status == 403)
            #expect(
                refused.json["message"]
                    == "secrets is forbidden: User \"vic\" cannot watch resource \"secrets\" in API group \"\" in the namespace \"demo\""
            )
            #expect(server.faults.openWatchCount(ResourceCatalog.secrets) == 0)
            let watch = SimClient(server, token: "vic-token").watch("/api/v1/namespaces/demo/configmaps?watch=true")
            defer { watch.task.cancel() }
            #expect(await SimFixture.eventually { server.faults.openWatchCount(ResourceCatalog.configMaps) == 1 })
            watch.task.cancel()
            #expect(await SimFixture.eventually { server.faults.openWatchCount(ResourceCatalog.configMaps) == 0 })
        }
    }
}
