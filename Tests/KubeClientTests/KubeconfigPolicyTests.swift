import Foundation
import GaleJSON
import Testing

@testable import KubeClient

/// A kubeconfig that arrives from someone else may not reach the host that resolves it.
@Suite("Kubeconfig policy")
struct KubeconfigPolicyTests {
    static func config(cluster: String, user: String) -> String {
        """
        current-context: c
        clusters: [{name: k, cluster: {\(cluster)}}]
        contexts: [{name: c, context: {cluster: k, user: u}}]
        users: [{name: u, user: {\(user)}}]
        """
    }

    @Test("an untrusted kubeconfig is refused for every field that reaches the host, naming it")
    func refusals() throws {
        let cases: [(cluster: String, user: String, field: String, refusal: KubeconfigPolicy.Refusal)] = [
            ("server: https://k", "exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh}",
             #"users["u"].user.exec"#, .exec),
            ("server: https://k", "tokenFile: /etc/shadow", #"users["u"].user.tokenFile"#, .file),
            ("server: https://k", "client-certificate: /etc/ssl/a.pem, client-key: /etc/ssl/a.key",
             #"users["u"].user.client-certificate"#, .file),
            ("server: https://k, certificate-authority: /etc/passwd", "token: t",
             #"clusters["k"].cluster.certificate-authority"#, .file),
            ("server: http://k", "token: t", #"clusters["k"].cluster.server"#, .insecureTransport),
            ("server: https://k, insecure-skip-tls-verify: true", "token: t",
             #"clusters["k"].cluster.insecure-skip-tls-verify"#, .insecureTransport),
        ]
        for item in cases {
            let config = try Kubeconfig(yaml: Self.config(cluster: item.cluster, user: item.user))
            let error = #expect(throws: KubeconfigError.self) { try config.resolve(policy: .untrusted) }
            #expect(error?.refusal == item.refusal)
            #expect(error?.description.hasPrefix(item.field + " is not allowed") == true, "\(error?.description ?? "")")
        }
    }

    @Test("opt-ins allow exactly what they name")
    func optIns() throws {
        let insecure = try Kubeconfig(yaml: Self.config(cluster: "server: http://k", user: "token: t"))
        #expect(throws: Never.self) { try insecure.resolve(policy: .init(allowsInsecureTransport: true)) }
        #expect(throws: KubeconfigError.self) { try insecure.resolve(policy: .init(allowsExec: true, allowsFiles: true)) }
        let exec = try Kubeconfig(
            yaml: Self.config(
                cluster: "server: https://k", user: "exec: {apiVersion: client.authentication.k8s.io/v1, command: x}"))
        #expect(throws: Never.self) { try exec.resolve(policy: .init(allowsExec: true)) }
        // Inline material is what an untrusted kubeconfig is for.
        let inline = try Kubeconfig(yaml: Self.config(cluster: "server: https://k:6443/prefix", user: "token: t"))
        #expect(try inline.resolve(policy: .untrusted).server.absoluteString == "https://k:6443/prefix")
    }

    @Test("a server URL with a query, fragment or credentials is refused, without quoting it")
    func serverURLs() throws {
        for server in ["https://k/?x=", "https://k/#frag", "https://user:pass@k", "https://k?a=b"] {
            let config = try Kubeconfig(yaml: Self.config(cluster: "server: \"\(server)\"", user: "token: t"))
            let error = #expect(throws: KubeconfigError.self) { try config.resolve(policy: .trusted) }
            #expect(error?.description.contains("without query, fragment or credentials") == true)
            #expect(error?.description.contains("pass") == false)
        }
    }

    @Test("a kubeconfig whose aliases expand past the budget is refused at once")
    func aliasBomb() throws {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let previous = (0..<10).map { _ in "*a\(level - 1)" }.joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(previous)]\n"
        }
        yaml += "current-context: c\nclusters: *a9\n"
        #expect(yaml.utf8.count < 1024)
        let started = ContinuousClock.now
        let error = #expect(throws: KubeconfigError.self) { try Kubeconfig(yaml: yaml) }
        #expect(error?.description.contains("expands to more than") == true)
        #expect(ContinuousClock.now - started < .seconds(2))
        // The same bomb as resource content.
        #expect(throws: YAMLContentError.self) { try JSONValue(yaml: yaml) }
    }

    @Test("exec plugins never see the gateway's KUBEGALE_ variables")
    func pluginEnvironment() async throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "plugin.sh",
            """
            #!/bin/sh
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"seen-%s-%s"}}\\n' \\
              "${KUBEGALE_POLICY_TEST_SECRET:-none}" "${POLICY_TEST_PUBLIC:-none}"
            """, executable: true)
        setenv("KUBEGALE_POLICY_TEST_SECRET", "leaked", 1)
        setenv("POLICY_TEST_PUBLIC", "kept", 1)
        let config = try Kubeconfig(
            yaml: Self.config(
                cluster: "server: https://k", user: "exec: {apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh}"),
            baseDirectory: directory.path)
        let target = try config.resolve(policy: .trusted)
        #expect(try await target.credentials.authorization().header == "Bearer seen-none-kept")
    }

    @Test("impersonation headers refuse values that would split a header")
    func impersonationHeaders() throws {
        let headers = try KubeImpersonation(user: "alice", groups: ["kubegale:viewer", "dev"], extra: ["scopes.k8s/x": ["a"]])
            .headers()
        #expect(headers.map(\.0) == ["Impersonate-User", "Impersonate-Group", "Impersonate-Group", "Impersonate-Extra-scopes.k8s%2Fx"])
        #expect(throws: KubeError.self) { try KubeImpersonation(user: "eve\r\nImpersonate-Group: system:masters").headers() }
    }
}
