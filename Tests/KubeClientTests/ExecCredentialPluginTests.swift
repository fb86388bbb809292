import Foundation
import Testing

@testable import KubeClient

@Suite("Exec credential plugin")
struct ExecCredentialPluginTests {
    /// A plugin that counts its runs in `count` beside itself and prints a token carrying the count.
    static let plugin = """
        #!/bin/sh
        dir=$(dirname "$0")
        n=$(cat "$dir/count" 2>/dev/null || echo 0)
        n=$((n + 1))
        echo "$n" > "$dir/count"
        echo "$KUBERNETES_EXEC_INFO" > "$dir/exec-info"
        if [ -n "$FAIL_WITH" ]; then echo "plugin says no" >&2; exit "$FAIL_WITH"; fi
        printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"token-%s-%s","expirationTimestamp":"%s"}}\\n' \\
          "$API_VERSION" "$n" "$1" "$EXPIRY"
        """

    static func kubeconfig(expiry: String, apiVersion: String = "client.authentication.k8s.io/v1", fail: String = "")
        -> String
    {
        """
        current-context: eks
        clusters: [{name: k, cluster: {server: "https://k.example.com", tls-server-name: api.internal}}]
        contexts: [{name: eks, context: {cluster: k, user: aws}}]
        users:
        - name: aws
          user:
            exec:
              apiVersion: \(apiVersion)
              command: ./plugin.sh
              args: [arg1]
              env:
              - {name: EXPIRY, value: "\(expiry)"}
              - {name: API_VERSION, value: \(apiVersion)}
              - {name: FAIL_WITH, value: "\(fail)"}
              interactiveMode: Never
              provideClusterInfo: true
        """
    }

    func runs(_ directory: TemporaryDirectory) -> Int {
        let text = (try? String(contentsOfFile: directory.path + "/count", encoding: .utf8)) ?? "0"
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func cachesUntilExpiry() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("plugin.sh", Self.plugin, executable: true)
        let expiry = RFC3339.string(Date().addingTimeInterval(3600))
        let target = try Kubeconfig(yaml: Self.kubeconfig(expiry: expiry), baseDirectory: directory.path).resolve()
        let plugin = try #require(target.credentials.execPlugin)

        #expect(try await target.credentials.authorization().header == "Bearer token-1-arg1")
        #expect(try await target.credentials.authorization().header == "Bearer token-1-arg1")
        #expect(runs(directory) == 1)
        #expect(await plugin.invocationCount == 1)

        // Past the expiry the plugin runs again.
        let later = Date().addingTimeInterval(7200)
        #expect(try await plugin.credential(now: later).token == "token-2-arg1")
        #expect(runs(directory) == 2)

        // A 401 invalidates the cache.
        #expect(await target.credentials.invalidate())
        #expect(try await target.credentials.authorization().header == "Bearer token-3-arg1")
        #expect(runs(directory) == 3)

        let info = try String(contentsOfFile: directory.path + "/exec-info", encoding: .utf8)
        #expect(info.contains("\"interactive\":false"))
        #expect(
            info.contains("\"server\":\"https:\\/\\/k.example.com\"")
                || info.contains("\"server\":\"https://k.example.com\""))
        #expect(info.contains("api.internal"))
    }

    @Test func expiredCredentialRunsEveryTime() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("plugin.sh", Self.plugin, executable: true)
        let expiry = RFC3339.string(Date().addingTimeInterval(-60))
        let yaml = Self.kubeconfig(expiry: expiry, apiVersion: "client.authentication.k8s.io/v1beta1")
        let target = try Kubeconfig(yaml: yaml, baseDirectory: directory.path).resolve()
        _ = try await target.credentials.authorization()
        _ = try await target.credentials.authorization()
        #expect(runs(directory) == 2)
    }

    @Test func concurrentCallersShareOneRun() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("plugin.sh", Self.plugin, executable: true)
        let expiry = RFC3339.string(Date().addingTimeInterval(3600))
        let target = try Kubeconfig(yaml: Self.kubeconfig(expiry: expiry), baseDirectory: directory.path).resolve()
        try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<5 { group.addTask { try await target.credentials.authorization().header } }
            for try await header in group { #expect(header == "Bearer token-1-arg1") }
        }
        #expect(runs(directory) == 1)
    }

    @Test func failureReportsStatusNotSecrets() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("plugin.sh", Self.plugin, executable: true)
        let yaml = Self.kubeconfig(expiry: "", fail: "3")
        let target = try Kubeconfig(yaml: yaml, baseDirectory: directory.path).resolve()
        let error = await #expect(throws: KubeconfigError.self) { try await target.credentials.authorization() }
        #expect(
            error?.description == "exec credential plugin \"./plugin.sh\" failed: exited with status 3: plugin says no")
    }

    @Test func missingCommandAndBadOutput() async throws {
        let missing = ExecCredentialPlugin(configuration: .init(command: "no-such-kube-plugin-xyz"))
        let error = await #expect(throws: KubeconfigError.self) { try await missing.credential() }
        #expect(error?.description == "exec credential plugin \"no-such-kube-plugin-xyz\" failed: command not found")

        let configuration = ExecCredentialPlugin.Configuration(command: "p")
        let wrongKind = Data(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"Other","status":{}}"#.utf8)
        #expect(throws: KubeconfigError.self) {
            try ExecCredentialPlugin.parse(wrongKind, configuration: configuration)
        }
        let certificate = Data(
            #"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"CERT","clientKeyData":"KEY","expirationTimestamp":"2030-01-02T03:04:05Z"}}"#
                .utf8)
        let parsed = try ExecCredentialPlugin.parse(certificate, configuration: configuration)
        #expect(parsed.clientCertificatePEM == Array("CERT".utf8))
        #expect(parsed.token == nil)
        #expect(parsed.expiration == RFC3339.date("2030-01-02T03:04:05Z"))
    }
}
