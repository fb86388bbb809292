import Foundation
import Testing

@testable import KubeClient

@Suite("Kubeconfig")
struct KubeconfigTests {
    static let tokenConfig = """
        apiVersion: v1
        kind: Config
        current-context: dev
        clusters:
        - name: dev-cluster
          cluster:
            server: https://dev.example.com:6443
        - name: prod-cluster
          cluster:
            server: https://prod.example.com
            insecure-skip-tls-verify: true
            tls-server-name: kubernetes.default
        contexts:
        - name: dev
          context: {cluster: dev-cluster, user: dev-user, namespace: team-a}
        - name: prod
          context: {cluster: prod-cluster, user: prod-user}
        users:
        - name: dev-user
          user:
            token: 12345
        - name: prod-user
          user:
            username: admin
            password: s3cr3t-pass
        """

    @Test func tokenContextAndNamespace() async throws {
        let config = try Kubeconfig(yaml: Self.tokenConfig)
        #expect(config.currentContext == "dev")
        #expect(config.contextNames == ["dev", "prod"])
        let target = try config.resolve()
        #expect(target.server.absoluteString == "https://dev.example.com:6443")
        #expect(target.contextName == "dev")
        #expect(target.clusterName == "dev-cluster")
        #expect(target.namespace == "team-a")
        #expect(target.tls.insecureSkipTLSVerify == false)
        // A numeric-looking token stays the exact text.
        #expect(try await target.credentials.authorization().header == "Bearer 12345")
        #expect(!target.description.contains("12345"))
    }

    @Test func basicAuthInsecureAndServerName() async throws {
        let target = try Kubeconfig(yaml: Self.tokenConfig).resolve(context: "prod")
        #expect(target.namespace == nil)
        #expect(target.tls.insecureSkipTLSVerify)
        #expect(target.tls.serverName == "kubernetes.default")
        let header = try await target.credentials.authorization().header
        #expect(header == "Basic " + "admin:s3cr3t-pass".base64)
        #expect(!target.description.contains("s3cr3t"))
    }

    @Test func jsonDocument() throws {
        let json = """
            {"apiVersion":"v1","kind":"Config","current-context":"c",
             "clusters":[{"name":"k","cluster":{"server":"http://127.0.0.1:8080"}}],
             "contexts":[{"name":"c","context":{"cluster":"k","user":"u","namespace":"ns"}}],
             "users":[{"name":"u","user":{}}]}
            """
        let target = try Kubeconfig(yaml: json).resolve()
        #expect(target.server.absoluteString == "http://127.0.0.1:8080")
        #expect(target.namespace == "ns")
        #expect(target.credentials.description == "none")
    }

    @Test func certificateDataAndFiles() throws {
        let pki = try TestPKI()
        let directory = try TemporaryDirectory()
        try directory.write("ca.crt", pki.caPEM)
        try directory.write("client.crt", pki.client.certificatePEM)
        try directory.write("client.key", pki.client.keyPEM)
        let yaml = """
            current-context: data
            clusters:
            - name: with-data
              cluster:
                server: https://localhost:6443
                certificate-authority-data: \(pki.caPEM.base64)
            - name: with-file
              cluster:
                server: https://localhost:6443
                certificate-authority: ca.crt
            contexts:
            - name: data
              context: {cluster: with-data, user: data-user}
            - name: file
              context: {cluster: with-file, user: file-user}
            users:
            - name: data-user
              user:
                client-certificate-data: \(pki.client.certificatePEM.base64)
                client-key-data: \(pki.client.keyPEM.base64)
            - name: file-user
              user:
                client-certificate: client.crt
                client-key: \(directory.path)/client.key
            """
        let config = try Kubeconfig(yaml: yaml, baseDirectory: directory.path)
        for context in ["data", "file"] {
            let target = try config.resolve(context: context)
            #expect(target.tls.certificateAuthorityPEM == Array(pki.caPEM.utf8))
            #expect(target.tls.clientCertificatePEM == Array(pki.client.certificatePEM.utf8))
            #expect(target.tls.clientKeyPEM == Array(pki.client.keyPEM.utf8))
            #expect(!target.description.contains("PRIVATE KEY"))
        }
    }

    @Test func tokenFileIsReadForEachRequest() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("token", "first-token\n")
        let yaml = """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:443"}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users: [{name: u, user: {tokenFile: token}}]
            """
        let target = try Kubeconfig(yaml: yaml, baseDirectory: directory.path).resolve()
        #expect(try await target.credentials.authorization().header == "Bearer first-token")
        try directory.write("token", "rotated-token")
        #expect(try await target.credentials.authorization().header == "Bearer rotated-token")
    }

    @Test(arguments: [
        ("clusters: [", "kubeconfig is not valid YAML:"),
        ("- just\n- a list", "kubeconfig is not usable: the top level is not a mapping"),
        ("clusters: []", "current-context is not set"),
    ])
    func documentErrors(yaml: String, message: String) throws {
        let error = #expect(throws: KubeconfigError.self) { try Kubeconfig(yaml: yaml).resolve() }
        #expect(error?.description.hasPrefix(message) == true, "\(String(describing: error))")
    }

    @Test func resolveErrors() throws {
        let yaml = """
            current-context: a
            clusters:
            - {name: noserver, cluster: {}}
            - {name: ftp, cluster: {server: "ftp://files.example.com"}}
            - {name: badca, cluster: {server: "https://x", certificate-authority-data: "!!notbase64!!"}}
            - {name: ok, cluster: {server: "https://x"}}
            contexts:
            - {name: a, context: {cluster: noserver, user: u}}
            - {name: b, context: {cluster: ftp, user: u}}
            - {name: c, context: {cluster: badca, user: u}}
            - {name: d, context: {cluster: missing, user: u}}
            - {name: e, context: {cluster: ok, user: nobody}}
            - {name: f, context: {cluster: ok, user: halfcert}}
            users:
            - {name: u, user: {token: abc}}
            - {name: halfcert, user: {client-certificate-data: "c2VjcmV0"}}
            """
        let config = try Kubeconfig(yaml: yaml)
        let expected = [
            "a": "cluster \"noserver\" has no server URL",
            "b": "cluster \"ftp\" has a server URL that is not http(s) with a host and without query, fragment or credentials",
            "c": "clusters[\"badca\"].cluster.certificate-authority-data is not valid base64",
            "d": "cluster \"missing\" (of context \"d\") not found",
            "e": "user \"nobody\" (of context \"e\") not found",
            "f": "users[\"halfcert\"].user has a client certificate but no client key",
            "zz": "context \"zz\" not found",
        ]
        for (context, message) in expected {
            let error = #expect(throws: KubeconfigError.self) { try config.resolve(context: context) }
            #expect(error?.description == message)
        }
    }

    @Test func errorsNeverQuoteSecrets() throws {
        let secret = "SUPERSECRETTOKENVALUE"
        let broken = """
            current-context: c
            users:
            - name: u
              user:
                token: "\(secret)
                password: [\(secret)
            """
        let yamlError = #expect(throws: KubeconfigError.self) { try Kubeconfig(yaml: broken) }
        #expect(yamlError?.description.contains(secret) == false)
        #expect(yamlError?.description.contains("line") == true)

        let wrongType = """
            users:
            - name: u
              user:
                token: {value: \(secret)}
            """
        let typeError = #expect(throws: KubeconfigError.self) { try Kubeconfig(yaml: wrongType) }
        #expect(typeError?.description == "users[\"u\"].user.token is not a string")

        let badKey = """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k"}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users: [{name: u, user: {client-certificate-data: "\(secret.base64)", client-key-data: "\(secret.base64)"}}]
            """
        let pemError = #expect(throws: KubeconfigError.self) { try Kubeconfig(yaml: badKey).resolve() }
        #expect(pemError?.description == "users[\"u\"].user.client-certificate does not hold a PEM certificate")
    }

    @Test func unsupportedAuthProvider() throws {
        let yaml = """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k"}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users: [{name: u, user: {auth-provider: {name: gcp, config: {access-token: xyz}}}}]
            """
        let error = #expect(throws: KubeconfigError.self) { try Kubeconfig(yaml: yaml).resolve() }
        #expect(error?.description.contains("auth-provider \"gcp\"") == true)
        #expect(error?.description.contains("xyz") == false)
    }
}
