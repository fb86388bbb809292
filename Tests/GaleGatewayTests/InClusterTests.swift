import Foundation
import GaleGateway
import GaleJSON
import KubeClient
import KubeSim
import Logging
import NIOHTTP1
import Testing

/// In-cluster mode against KubeSim: its TLS CA and tokens written to a temporary service-account
/// directory, the token file rotated while clients use it.
@Suite struct InClusterTests {
    static let tokenOne = "in-cluster-token-one-7c1f9a"
    static let tokenTwo = "in-cluster-token-two-0b3e55"
    static let userOne = "system:serviceaccount:kubegale:one"
    static let userTwo = "system:serviceaccount:kubegale:two"

    /// A service-account directory laid out as the kubelet lays it out, removed afterwards.
    struct ServiceAccount {
        let directory: String

        init(token: String?, certificateAuthority: String?, namespace: String? = "kubegale") throws {
            directory = NSTemporaryDirectory() + "kubegale-sa-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if let token { try rotate(to: token) }
            if let certificateAuthority {
                try certificateAuthority.write(toFile: directory + "/ca.crt", atomically: true, encoding: .utf8)
            }
            if let namespace { try namespace.write(toFile: directory + "/namespace", atomically: true, encoding: .utf8) }
        }

        /// Writes a new token the way the kubelet does: a whole new file put in place at once.
        func rotate(to token: String) throws {
            try (token + "\n").write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// A simulator with TLS whose two service-account tokens authenticate as two users (both in
    /// `system:masters`, so the gateway's probes, reads and impersonation are allowed).
    static func withSimulator<T>(_ body: (KubeSimServer, Int) async throws -> T) async throws -> T {
        let groups = [UserInfo.mastersGroup, "system:serviceaccounts"]
        let simulator = KubeSimServer(
            configuration: .init(
                seedDemoData: true, tls: true,
                users: [
                    tokenOne: UserInfo(name: userOne, groups: groups), tokenTwo: UserInfo(name: userTwo, groups: groups),
                ]))
        let port = try await simulator.start()
        do {
            let result = try await body(simulator, port)
            await simulator.stop()
            return result
        } catch {
            await simulator.stop()
            throw error
        }
    }

    /// Who the API server says the client is (`kubectl auth whoami`).
    static func whoami(_ client: KubeClient) async throws -> String? {
        let reviews = KubeResource(
            group: "authentication.k8s.io", version: "v1", plural: "selfsubjectreviews", kind: "SelfSubjectReview",
            namespaced: false)
        let review = try await client.create(
            reviews, namespace: nil,
            object: ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"])
        return review["status"]?["userInfo"]?["username"]?.stringValue
    }

    @Test func serverComesFromTheServiceVariablesWithIPv6InBrackets() throws {
        let cases: [(String, String, String)] = [
            ("10.96.0.1", "443", "https://10.96.0.1:443"),
            ("fd00:10:96::1", "443", "https://[fd00:10:96::1]:443"),
            ("[fd00:10:96::1]", "6443", "https://[fd00:10:96::1]:6443"),
            ("kubernetes.default.svc", "443", "https://kubernetes.default.svc:443"),
        ]
        for (host, port, expected) in cases {
            #expect(try InClusterConfig(directory: "/nonexistent", host: host, port: port).server().absoluteString == expected)
        }
        let fromEnvironment = InClusterConfig(
            directory: "/nonexistent", environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "6443"])
        #expect(try fromEnvironment.server().absoluteString == "https://10.0.0.1:6443")
        #expect(InClusterConfig().directory == "/var/run/secrets/kubernetes.io/serviceaccount")
        #expect(InClusterConfig(directory: "/sa", host: nil, port: nil).tokenPath == "/sa/token")
    }

    @Test func outsideAPodOrWithBadVariablesItSaysWhy() {
        #expect(throws: InClusterConfigError.notInCluster) {
            try InClusterConfig(directory: "/nonexistent", environment: [:]).server()
        }
        #expect(throws: InClusterConfigError.notInCluster) {
            try InClusterConfig(directory: "/nonexistent", host: "10.0.0.1", port: "").server()
        }
        #expect(throws: InClusterConfigError.invalidVariable("KUBERNETES_SERVICE_PORT")) {
            try InClusterConfig(directory: "/nonexistent", host: "10.0.0.1", port: "https").server()
        }
        #expect(throws: InClusterConfigError.invalidVariable("KUBERNETES_SERVICE_PORT")) {
            try InClusterConfig(directory: "/nonexistent", host: "10.0.0.1", port: "70000").server()
        }
        #expect(throws: InClusterConfigError.invalidVariable("KUBERNETES_SERVICE_HOST")) {
            try InClusterConfig(directory: "/nonexistent", host: "evil.example/path?x=", port: "443").server()
        }
        #expect(InClusterConfigError.notInCluster.description.contains("KUBERNETES_SERVICE_HOST"))
        #expect(!InClusterConfig(directory: "/nonexistent", environment: [:]).isAvailable)
    }

    @Test func unreadableOrBadServiceAccountFilesAreClearErrorsWithoutTheirContents() throws {
        let missing = try ServiceAccount(token: nil, certificateAuthority: nil)
        defer { missing.remove() }
        let config = InClusterConfig(directory: missing.directory, host: "127.0.0.1", port: "6443")
        #expect(throws: InClusterConfigError.unreadable(config.tokenPath)) { try config.target() }

        let empty = try ServiceAccount(token: " ", certificateAuthority: nil)
        defer { empty.remove() }
        let emptyConfig = InClusterConfig(directory: empty.directory, host: "127.0.0.1", port: "6443")
        #expect(throws: InClusterConfigError.emptyToken(emptyConfig.tokenPath)) { try emptyConfig.target() }

        let noAuthority = try ServiceAccount(token: Self.tokenOne, certificateAuthority: nil)
        defer { noAuthority.remove() }
        let noAuthorityConfig = InClusterConfig(directory: noAuthority.directory, host: "127.0.0.1", port: "6443")
        #expect(throws: InClusterConfigError.unreadable(noAuthorityConfig.certificateAuthorityPath)) {
            try noAuthorityConfig.target()
        }

        let garbage = try ServiceAccount(token: Self.tokenOne, certificateAuthority: "not a certificate")
        defer { garbage.remove() }
        let garbageConfig = InClusterConfig(directory: garbage.directory, host: "127.0.0.1", port: "6443")
        do {
            _ = try garbageConfig.target()
            Issue.record("a ca.crt without a certificate was accepted")
        } catch let error as InClusterConfigError {
            #expect(error == .invalidCertificateAuthority(garbageConfig.certificateAuthorityPath))
            #expect(!error.description.contains(Self.tokenOne))
            #expect(!error.description.contains("not a certificate"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func aRotatedTokenIsUsedFromTheNextRequest() async throws {
        try await Self.withSimulator { simulator, port in
            let account = try ServiceAccount(token: Self.tokenOne, certificateAuthority: simulator.authority?.caCertificatePEM)
            defer { account.remove() }
            let config = InClusterConfig(directory: account.directory, host: "127.0.0.1", port: String(port))
            let target = try config.target()
            #expect(target.server.absoluteString == "https://127.0.0.1:\(port)")
            #expect(target.namespace == "kubegale")
            #expect(!target.description.contains(Self.tokenOne))
            let client = try KubeClient(target: target, logger: Logger(label: "in-cluster-test"))
            do {
                #expect(try await Self.whoami(client) == Self.userOne)
                try account.rotate(to: Self.tokenTwo)
                #expect(try await Self.whoami(client) == Self.userTwo)
                try account.rotate(to: "a-token-the-server-does-not-know")
                await #expect(throws: KubeError.self) { try await Self.whoami(client) }
                try account.rotate(to: Self.tokenOne)
                #expect(try await Self.whoami(client) == Self.userOne)
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    @Test func theGatewayRegistersItsClusterOnceAndNeverStoresTheToken() async throws {
        try await Self.withSimulator { simulator, port in
            let account = try ServiceAccount(token: Self.tokenOne, certificateAuthority: simulator.authority?.caCertificatePEM)
            defer { account.remove() }
            let config = InClusterConfig(directory: account.directory, host: "127.0.0.1", port: String(port))
            try await TestGateway.with(probeInterval: .milliseconds(200)) { gateway in
                let record = try await gateway.gateway.attachInClusterCluster(config)
                #expect(record.name == Gateway.inClusterName)
                #expect(record.status == "active")
                let stored = try gateway.gateway.registry.kubeconfig(of: record)
                #expect(!stored.contains(Self.tokenOne))
                #expect(!stored.contains("tokenFile") && !stored.contains(account.directory))

                let admin = try await gateway.token()
                let namespaces = try await gateway.http(.GET, "/namespaces?cluster_id=\(record.id)", token: admin)
                #expect(namespaces.envelope["code"]?.intValue == 0, "\(namespaces.envelope)")

                // A restart, or another replica on the same registry, finds the same registration.
                let again = try await gateway.gateway.attachInClusterCluster(config)
                #expect(again.id == record.id)
                let clusters = try await gateway.http(.GET, "/clusters", token: admin)
                #expect(clusters.envelope["data"]?["total"]?.intValue == 1)

                // The token file is read again: a token the server refuses fails the calls, the next
                // good one brings them back. (A read of one object goes upstream every time; lists may
                // come from a shared watch's cache.)
                try account.rotate(to: "a-token-the-server-does-not-know")
                #expect(
                    try await eventually {
                        try await gateway.http(.GET, "/namespaces/default?cluster_id=\(record.id)", token: admin).envelope["code"]?.intValue != 0
                    })
                try account.rotate(to: Self.tokenTwo)
                #expect(
                    try await eventually {
                        try await gateway.http(.GET, "/namespaces/default?cluster_id=\(record.id)", token: admin).envelope["code"]?.intValue == 0
                    })
                for token in [Self.tokenOne, Self.tokenTwo] {
                    #expect(!gateway.logs.text.contains(token), "a service account token was logged")
                }
            }
        }
    }

    @Test func theGatewayRefusesInClusterModeOutsideAPod() async throws {
        try await TestGateway.with { gateway in
            await #expect(throws: InClusterConfigError.notInCluster) {
                try await gateway.gateway.attachInClusterCluster(InClusterConfig(directory: "/nonexistent", environment: [:]))
            }
            let clusters = try await gateway.http(.GET, "/clusters", token: try await gateway.token())
            #expect(clusters.envelope["data"]?["total"]?.intValue == 0)
        }
    }
}
