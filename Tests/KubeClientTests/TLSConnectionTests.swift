import Foundation
import Testing

@testable import KubeClient

/// Real TLS on loopback with a CA generated for each test.
@Suite("TLS and authentication against a loopback HTTPS server")
struct TLSConnectionTests {
    static func target(
        port: Int, host: String = "localhost", pki: TestPKI, trustCA: Bool = true, insecure: Bool = false,
        serverName: String? = nil, clientCertificate: Bool = false, credentials: KubeCredentials = .bearerToken("good")
    ) -> KubeTarget {
        KubeTarget(
            server: URL(string: "https://\(host):\(port)")!,
            contextName: "test",
            tls: .init(
                certificateAuthorityPEM: trustCA ? Array(pki.caPEM.utf8) : nil,
                insecureSkipTLSVerify: insecure,
                serverName: serverName,
                clientCertificatePEM: clientCertificate ? Array(pki.client.certificatePEM.utf8) : nil,
                clientKeyPEM: clientCertificate ? Array(pki.client.keyPEM.utf8) : nil
            ),
            credentials: credentials
        )
    }

    static let fast = KubeClient.Configuration(connectTimeout: .seconds(5), requestTimeout: .seconds(10))

    static func version(_ target: KubeTarget) async throws -> KubeJSON {
        let client = try KubeClient(target: target, configuration: fast)
        do {
            let version = try await client.version()
            try await client.shutdown()
            return version
        } catch {
            try await client.shutdown()
            throw error
        }
    }

    @Test func verifiesTheServerWithTheKubeconfigCA() async throws {
        let pki = try TestPKI()
        let server = TestAPIServer(
            tls: try TestAPIServer.tlsConfiguration(pki, requireClientCertificate: false), token: "good")
        try await server.run { port, log in
            let version = try await Self.version(Self.target(port: port, pki: pki))
            #expect(version["gitVersion"]?.stringValue == "v1.31.0-test")
            #expect(log.all.last?.authorization == "Bearer good")

            // The same server is rejected without its CA: the system roots do not know it.
            let error = await #expect(throws: KubeError.self) {
                try await Self.version(Self.target(port: port, pki: pki, trustCA: false))
            }
            #expect(error?.isUnreachable == true)

            // insecure-skip-tls-verify accepts it anyway.
            let insecure = try await Self.version(Self.target(port: port, pki: pki, trustCA: false, insecure: true))
            #expect(insecure["major"]?.stringValue == "1")
        }
    }

    @Test func rejectsAServerSignedByAnotherCA() async throws {
        let pki = try TestPKI()
        let other = try TestPKI()
        let server = TestAPIServer(
            tls: try TestAPIServer.tlsConfiguration(pki, requireClientCertificate: false), token: "good")
        try await server.run { port, _ in
            let error = await #expect(throws: KubeError.self) {
                try await Self.version(Self.target(port: port, pki: other))
            }
            #expect(error?.isUnreachable == true)
        }
    }

    @Test func presentsTheClientCertificateForMutualTLS() async throws {
        let pki = try TestPKI()
        let server = TestAPIServer(tls: try TestAPIServer.tlsConfiguration(pki, requireClientCertificate: true))
        try await server.run { port, _ in
            let target = Self.target(port: port, pki: pki, clientCertificate: true, credentials: .none)
            let version = try await Self.version(target)
            #expect(version["gitVersion"]?.stringValue == "v1.31.0-test")

            let error = await #expect(throws: KubeError.self) {
                try await Self.version(Self.target(port: port, pki: pki, credentials: .none))
            }
            #expect(error?.isUnreachable == true)
        }
    }

    @Test func tlsServerNameIsUsedForVerification() async throws {
        let pki = try TestPKI(serverNames: ["kube.internal"], includeIPAddress: false)
        let server = TestAPIServer(
            tls: try TestAPIServer.tlsConfiguration(pki, requireClientCertificate: false), token: "good")
        try await server.run { port, log in
            let target = Self.target(port: port, host: "127.0.0.1", pki: pki, serverName: "kube.internal")
            let version = try await Self.version(target)
            #expect(version["major"]?.stringValue == "1")
            #expect(log.all.count == 1)

            let error = await #expect(throws: KubeError.self) {
                try await Self.version(Self.target(port: port, host: "127.0.0.1", pki: pki))
            }
            #expect(error?.isUnreachable == true)
        }
    }

    @Test func kubeconfigEndToEnd() async throws {
        let pki = try TestPKI()
        let server = TestAPIServer(
            tls: try TestAPIServer.tlsConfiguration(pki, requireClientCertificate: true), token: "tok")
        try await server.run { port, log in
            let yaml = """
                current-context: loop
                clusters: [{name: k, cluster: {server: "https://localhost:\(port)", certificate-authority-data: \(pki.caPEM.base64)}}]
                contexts: [{name: loop, context: {cluster: k, user: u, namespace: default}}]
                users:
                - name: u
                  user:
                    token: tok
                    client-certificate-data: \(pki.client.certificatePEM.base64)
                    client-key-data: \(pki.client.keyPEM.base64)
                """
            let target = try Kubeconfig(yaml: yaml).resolve()
            let client = try KubeClient(target: target, configuration: Self.fast)
            let pods = try #require(ResourceCatalog.standard.resource(named: "pods"))
            let list: KubeJSON
            do {
                list = try await client.list(pods, namespace: target.namespace)
                try await client.shutdown()
            } catch {
                try await client.shutdown()
                throw error
            }
            let items = list["items"]
            #expect(items?[0]?["metadata"]?["name"]?.stringValue == "web-1")
            #expect(log.all.last?.authorization == "Bearer tok")
        }
    }

    @Test func wrongTokenIsUnauthorized() async throws {
        let pki = try TestPKI()
        let server = TestAPIServer(
            tls: try TestAPIServer.tlsConfiguration(pki, requireClientCertificate: false), token: "good")
        try await server.run { port, _ in
            let error = await #expect(throws: KubeError.self) {
                try await Self.version(Self.target(port: port, pki: pki, credentials: .bearerToken("bad")))
            }
            #expect(error?.isUnauthorized == true)
            #expect(error?.code == 401)
        }
    }

    @Test func execPluginIsRerunAfterA401() async throws {
        let pki = try TestPKI()
        let directory = try TemporaryDirectory()
        try directory.write("plugin.sh", ExecCredentialPluginTests.plugin, executable: true)
        // The plugin's first token (token-1-x) is refused; after the 401 it runs again and token-2-x is accepted.
        let server = TestAPIServer(
            tls: try TestAPIServer.tlsConfiguration(pki, requireClientCertificate: false), token: "token-2-x")
        try await server.run { port, log in
            let plugin = ExecCredentialPlugin(
                configuration: .init(
                    command: directory.path + "/plugin.sh", arguments: ["x"],
                    environment: [
                        "EXPIRY": RFC3339.string(Date().addingTimeInterval(3600)),
                        "API_VERSION": "client.authentication.k8s.io/v1",
                    ]))
            let target = Self.target(port: port, pki: pki, credentials: .exec(plugin))
            let version = try await Self.version(target)
            #expect(version["major"]?.stringValue == "1")
            #expect(await plugin.invocationCount == 2)
            #expect(log.all.map(\.authorization) == ["Bearer token-1-x", "Bearer token-2-x"])
        }
    }
}
