import Foundation

/// Runs a client-go exec credential plugin (`users[].user.exec`, ExecCredential of
/// `client.authentication.k8s.io/v1` or `v1beta1`) and caches its credential until
/// `status.expirationTimestamp`, the way EKS, GKE and AKS kubeconfigs authenticate.
///
/// Copies of a ``KubeTarget`` share one plugin, so the cache is shared too.
public actor ExecCredentialPlugin {
    /// The plugin's `exec` stanza.
    public struct Configuration: Sendable {
        /// The command; a path with a `/` in it is taken relative to ``workingDirectory``, a bare name is looked up on `PATH`.
        public var command: String
        /// Arguments passed to the command.
        public var arguments: [String]
        /// Variables added to the gateway's own environment.
        public var environment: [String: String]
        /// `client.authentication.k8s.io/v1` or `client.authentication.k8s.io/v1beta1`.
        public var apiVersion: String
        /// `Never`, `IfAvailable` or `Always`; this client never has a terminal, so `Always` fails.
        public var interactiveMode: String
        /// Directory relative commands are resolved against (the kubeconfig's folder).
        public var workingDirectory: String?
        /// Cluster details passed in `spec.cluster` when `provideClusterInfo` is set.
        public var clusterInfo: [String: String]?
        /// How long the plugin may run before it is killed.
        public var timeout: Duration

        /// Creates a plugin configuration.
        public init(
            command: String,
            arguments: [String] = [],
            environment: [String: String] = [:],
            apiVersion: String = "client.authentication.k8s.io/v1",
            interactiveMode: String = "IfAvailable",
            workingDirectory: String? = nil,
            clusterInfo: [String: String]? = nil,
            timeout: Duration = .seconds(60)
        ) {
            self.command = command
            self.arguments = arguments
            self.environment = environment
            self.apiVersion = apiVersion
            self.interactiveMode = interactiveMode
            self.workingDirectory = workingDirectory
            self.clusterInfo = clusterInfo
            self.timeout = timeout
        }
    }

    /// What the plugin printed in `status`.
    public struct Credential: Sendable {
        /// Bearer token, if the plugin returned one.
        public var token: String?
        /// PEM client certificate, if the plugin returned one.
        public var clientCertificatePEM: [UInt8]?
        /// PEM client key, if the plugin returned one.
        public var clientKeyPEM: [UInt8]?
        /// When the credential stops being valid; `nil` means until the server rejects it.
        public var expiration: Date?
    }

    static let supportedAPIVersions = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]

    /// The plugin's configuration.
    public nonisolated let configuration: Configuration
    private var cached: Credential?
    private var running: Task<Credential, any Error>?
    /// How many times the plugin process has been started.
    public private(set) var invocationCount = 0

    /// Creates a plugin; nothing runs until a credential is needed.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The cached credential, or a fresh one from the plugin when there is none or it has expired.
    public func credential(now: Date = Date()) async throws -> Credential {
        if let cached, cached.expiration.map({ $0 > now }) ?? true {
            return cached
        }
        if let running {
            return try await running.value
        }
        invocationCount += 1
        let configuration = self.configuration
        let task = Task { try await Self.run(configuration) }
        running = task
        defer { running = nil }
        let credential = try await task.value
        cached = credential
        return credential
    }

    /// Drops the cached credential so the next request runs the plugin again (after a 401).
    public func invalidate() {
        cached = nil
    }

    private static func run(_ configuration: Configuration) async throws -> Credential {
        let output = try await ExecCredentialProcess.run(configuration)
        return try parse(output, configuration: configuration)
    }

    /// Parses an ExecCredential document printed by a plugin.
    static func parse(_ output: Data, configuration: Configuration) throws -> Credential {
        func failure(_ reason: String) -> KubeconfigError {
            .execFailed(command: configuration.command, reason: reason)
        }
        guard let object = try? JSONSerialization.jsonObject(with: output) as? [String: Any] else {
            throw failure("output is not a JSON ExecCredential")
        }
        guard object["kind"] as? String == "ExecCredential" else {
            throw failure("output kind is not ExecCredential")
        }
        let apiVersion = object["apiVersion"] as? String ?? ""
        guard apiVersion == configuration.apiVersion else {
            throw failure("output apiVersion \"\(apiVersion)\" does not match \"\(configuration.apiVersion)\"")
        }
        guard let status = object["status"] as? [String: Any] else {
            throw failure("output has no status")
        }
        var credential = Credential()
        credential.token = (status["token"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        if let certificate = status["clientCertificateData"] as? String, !certificate.isEmpty {
            guard let key = status["clientKeyData"] as? String, !key.isEmpty else {
                throw failure("status has clientCertificateData without clientKeyData")
            }
            credential.clientCertificatePEM = Array(certificate.utf8)
            credential.clientKeyPEM = Array(key.utf8)
        }
        guard credential.token != nil || credential.clientCertificatePEM != nil else {
            throw failure("status has neither a token nor a client certificate")
        }
        if let timestamp = status["expirationTimestamp"] as? String {
            guard let date = RFC3339.date(timestamp) else {
                throw failure("status.expirationTimestamp \"\(timestamp)\" is not an RFC 3339 time")
            }
            credential.expiration = date
        }
        return credential
    }
}
