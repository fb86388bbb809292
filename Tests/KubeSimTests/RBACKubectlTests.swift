import Foundation
import KubeSim
import Testing

/// The real kubectl against KubeSim's RBAC: `auth can-i`, `--as`/`--as-group`, `auth whoami`, refused exec.
@Suite(.serialized, .enabled(if: Kubectl.isInstalled)) struct RBACKubectlTests {
    @Test func canIAndImpersonation() async throws {
        try await SimFixture.withServer(RBACFixture.configuration(tls: true)) { server in
            let kubectl = try Kubectl(server)
            let asViewer = ["--as=bob", "--as-group=kubegale:viewer"]
            let listPods = try await kubectl.run(["auth", "can-i", "list", "pods"] + asViewer)
            #expect(
                listPods.status == 0 && listPods.out.trimmingCharacters(in: .whitespacesAndNewlines) == "yes",
                "\(listPods)")
            let getSecrets = try await kubectl.run(["auth", "can-i", "get", "secrets"] + asViewer)
            #expect(
                getSecrets.status == 1 && getSecrets.out.trimmingCharacters(in: .whitespacesAndNewlines) == "no",
                "\(getSecrets)")
            let secrets = try await kubectl.run(asViewer + ["get", "secrets", "-n", "default"])
            #expect(secrets.status != 0)
            #expect(
                secrets.err.contains(
                    "Error from server (Forbidden): secrets is forbidden: User \"bob\" cannot list resource \"secrets\" in API group \"\" in the namespace \"default\""
                ),
                "\(secrets.err)")
            let pods = try await kubectl.run(asViewer + ["get", "pods", "-n", "demo"])
            #expect(pods.status == 0 && pods.out.contains("nginx-"), "\(pods.err)")
            let exec = try await kubectl.run([
                "auth", "can-i", "create", "pods/exec", "--as=x", "--as-group=kubegale:operator",
            ])
            #expect(exec.status == 0 && exec.out.trimmingCharacters(in: .whitespacesAndNewlines) == "yes", "\(exec)")
            let viewerExec = try await kubectl.run(["auth", "can-i", "create", "pods/exec"] + asViewer)
            #expect(viewerExec.status == 1 && viewerExec.out.trimmingCharacters(in: .whitespacesAndNewlines) == "no")
            let clusterReads = try await kubectl.run(["auth", "can-i", "list", "nodes"] + asViewer)
            #expect(clusterReads.out.trimmingCharacters(in: .whitespacesAndNewlines) == "yes")
            let adminAll = try await kubectl.run("auth", "can-i", "*", "*")
            #expect(adminAll.status == 0 && adminAll.out.trimmingCharacters(in: .whitespacesAndNewlines) == "yes")
            // Without the right to impersonate, kubectl --as fails with the apiserver's message.
            let carol = try Kubectl(server, token: "carol-token")
            let refused = try await carol.run("get", "pods", "-n", "demo", "--as=alice")
            #expect(refused.status != 0)
            #expect(
                refused.err.contains(
                    "users \"alice\" is forbidden: User \"carol\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
                ),
                "\(refused.err)")
            let list = try await kubectl.run(["auth", "can-i", "--list", "-n", "demo"] + asViewer)
            #expect(list.status == 0 && list.out.contains("pods") && !list.out.contains("secrets"), "\(list)")
        }
    }

    @Test func whoami() async throws {
        try await SimFixture.withServer(RBACFixture.configuration(tls: true)) { server in
            let kubectl = try Kubectl(server)
            let admin = try await kubectl.run("auth", "whoami", "-o", "json")
            #expect(admin.status == 0, "\(admin.err)")
            let review = try JSONValue(parsing: admin.out)
            #expect(review["kind"] == "SelfSubjectReview")
            #expect(review[path: ["status", "userInfo", "username"]] == "kubesim-admin")
            #expect(review[path: ["status", "userInfo", "groups"]] == ["system:masters", "system:authenticated"])
            let table = try await kubectl.run("auth", "whoami", "--as=bob", "--as-group=kubegale:viewer")
            #expect(table.status == 0 && table.out.contains("bob") && table.out.contains("kubegale:viewer"), "\(table)")
        }
    }

    @Test func execRefusedForViewersAllowedForOperators() async throws {
        try await SimFixture.withServer(RBACFixture.configuration(tls: true)) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try #require(
                server.store.list(
                    ResourceCatalog.pods,
                    filter: .init(namespace: "demo", labelSelector: try LabelSelector(parsing: "app=nginx"))
                )
                .items.first?[path: ["metadata", "name"]]?.stringValue)
            let before = server.openExecSessions
            let viewer = try await kubectl.run(
                "exec", "-n", "demo", pod, "--as=bob", "--as-group=kubegale:viewer", "--", "touch", "/tmp/by-viewer")
            #expect(viewer.status != 0)
            // The WebSocket upgrade is refused (Hummingbird answers a refused upgrade with a bare 400, so kubectl
            // cannot print the 403's message here; the plain HTTP exec path answers the Forbidden Status).
            #expect(server.openExecSessions == before)
            let check = try await kubectl.run("exec", "-n", "demo", pod, "--", "ls", "/tmp")
            #expect(check.status == 0 && !check.out.contains("by-viewer"), "\(check)")
            let operatorExec = try await kubectl.run(
                "exec", "-n", "demo", pod, "--as=x", "--as-group=kubegale:operator", "--", "echo", "hi")
            #expect(operatorExec.status == 0 && operatorExec.out == "hi\n", "\(operatorExec.err)")
        }
    }
}
