import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import KubeClient
import NIOHTTP1
import NIOWebSocket
import Testing
import WSCore

/// Issue 9 point 1: a kubeconfig registered through the API cannot reach the gateway host, and a
/// scoped admin cannot add clusters.
@Suite("Registry security")
struct RegistrySecurityTests {
    static func kubeconfig(cluster: String, user: String) -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: c
        clusters: [{name: k, cluster: {\(cluster)}}]
        contexts: [{name: c, context: {cluster: k, user: u}}]
        users: [{name: u, user: {\(user)}}]
        """
    }

    /// The attacks: each would run a command, read a file of the host, or talk to a cluster
    /// without TLS verification.
    static let attacks: [(name: String, kubeconfig: String, field: String, optIn: String)] = [
        ("exec", kubeconfig(cluster: "server: https://127.0.0.1:1", user: "exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/touch, args: [/tmp/kubegale-pwned]}"),
         #"users["u"].user.exec"#, "--allow-kubeconfig-exec"),
        ("token file", kubeconfig(cluster: "server: https://127.0.0.1:1", user: "tokenFile: /etc/hostname"),
         #"users["u"].user.tokenFile"#, "--allow-kubeconfig-files"),
        ("ca file", kubeconfig(cluster: "server: https://127.0.0.1:1, certificate-authority: /etc/ssl/certs/ca-certificates.crt", user: "token: t"),
         #"clusters["k"].cluster.certificate-authority"#, "--allow-kubeconfig-files"),
        ("client key file", kubeconfig(cluster: "server: https://127.0.0.1:1", user: "client-certificate: /etc/a, client-key: /etc/b"),
         #"users["u"].user.client-certificate"#, "--allow-kubeconfig-files"),
        ("plain http", kubeconfig(cluster: "server: http://127.0.0.1:1", user: "token: t"),
         #"clusters["k"].cluster.server"#, "--allow-kubeconfig-insecure"),
        ("skip verify", kubeconfig(cluster: "server: https://127.0.0.1:1, insecure-skip-tls-verify: true", user: "token: t"),
         #"clusters["k"].cluster.insecure-skip-tls-verify"#, "--allow-kubeconfig-insecure"),
    ]

    @Test("kubeconfigs with exec plugins, host files or unverified transport are refused with 1001 and not stored")
    func refusedOnCreateAndUpdate() async throws {
        try await TestGateway.with { gateway in
            let admin = try await gateway.token()
            let existing = try await gateway.register("kept", kubeconfig: Kubeconfigs.valid, token: admin)
            for attack in Self.attacks {
                let (status, created) = try await gateway.http(
                    .POST, "/clusters", token: admin, body: ["name": .string(attack.name), "kubeconfig": .string(attack.kubeconfig)])
                #expect(status == 400, "\(attack.name)")
                #expect(created["code"]?.intValue == 1001)
                let message = created["msg"]?.stringValue ?? ""
                #expect(message.contains(attack.field), "\(attack.name): \(message)")
                #expect(message.contains(attack.optIn), "\(attack.name): \(message)")

                let (_, updated) = try await gateway.http(
                    .PUT, "/clusters/\(existing)", token: admin, body: ["kubeconfig": .string(attack.kubeconfig)])
                #expect(updated["code"]?.intValue == 1001, "\(attack.name)")
            }
            let (_, list) = try await gateway.http(.GET, "/clusters?page=1&pageSize=50", token: admin)
            #expect(list["data"]?["total"]?.intValue == 1)
            #expect(!FileManager.default.fileExists(atPath: "/tmp/kubegale-pwned"))
        }
    }

    @Test("the operator's opt-in lets a kind of kubeconfig through, and only that kind")
    func optIn() async throws {
        try await TestGateway.with(configure: { $0.kubeconfigPolicy = KubeconfigPolicy(allowsInsecureTransport: true) }) { gateway in
            let admin = try await gateway.token()
            let plain = try #require(Self.attacks.first { $0.name == "plain http" })
            let (_, created) = try await gateway.http(
                .POST, "/clusters", token: admin, body: ["name": "plain", "kubeconfig": .string(plain.kubeconfig)])
            #expect(created["code"]?.intValue == 0)
            let exec = try #require(Self.attacks.first { $0.name == "exec" })
            let (_, refused) = try await gateway.http(
                .POST, "/clusters", token: admin, body: ["name": "exec", "kubeconfig": .string(exec.kubeconfig)])
            #expect(refused["code"]?.intValue == 1001)
        }
    }

    @Test("a server URL with a query cannot take over the request path")
    func serverURLWithQuery() async throws {
        try await TestGateway.with { gateway in
            let admin = try await gateway.token()
            let (_, created) = try await gateway.http(
                .POST, "/clusters", token: admin,
                body: ["name": "q", "kubeconfig": .string(Self.kubeconfig(cluster: "server: \"https://127.0.0.1:1/x?y=\"", user: "token: t"))])
            #expect(created["code"]?.intValue == 1001)
            #expect(created["msg"]?.stringValue?.contains("without query, fragment or credentials") == true)
        }
    }

    @Test("an admin scoped to some clusters cannot register new ones")
    func scopedAdmin() async throws {
        try await TestGateway.with { gateway in
            let admin = try await gateway.token()
            let first = try await gateway.register("first", kubeconfig: Kubeconfigs.valid, token: admin)
            let scoped = try await gateway.token(.admin, clusters: .only([String(first)]))
            let (status, refused) = try await gateway.http(
                .POST, "/clusters", token: scoped, body: ["name": "second", "kubeconfig": .string(Kubeconfigs.valid)])
            #expect(status == 403)
            #expect(refused["code"]?.intValue == 1005)
            let (_, list) = try await gateway.http(.GET, "/clusters?page=1&pageSize=50", token: admin)
            #expect(list["data"]?["total"]?.intValue == 1)
        }
    }
}
