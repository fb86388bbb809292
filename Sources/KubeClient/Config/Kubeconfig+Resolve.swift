import Foundation
import NIOSSL

extension Kubeconfig {
    /// Resolves a context (default: current-context) into everything needed to connect.
    ///
    /// Reads the files the context refers to, decodes `*-data` fields and checks that certificates
    /// and keys are PEM that TLS can use. A document `policy` does not allow is refused before
    /// anything is read or run (``check(_:)``); the default trusts it, as kubectl trusts the user's
    /// own kubeconfig. Throws ``KubeconfigError``.
    public func resolve(context: String? = nil, policy: KubeconfigPolicy = .trusted) throws -> KubeTarget {
        try check(policy)
        guard let contextName = context ?? currentContext else {
            throw KubeconfigError.currentContextNotSet
        }
        guard let entry = contexts[contextName] else {
            throw KubeconfigError.contextNotFound(contextName)
        }
        guard let cluster = clusters[entry.cluster] else {
            throw KubeconfigError.clusterNotFound(entry.cluster, context: contextName)
        }
        var user = User()
        if !entry.user.isEmpty {
            guard let found = users[entry.user] else {
                throw KubeconfigError.userNotFound(entry.user, context: contextName)
            }
            user = found
        }
        let clusterPath = "clusters[\"\(entry.cluster)\"].cluster"
        let userPath = "users[\"\(entry.user)\"].user"

        guard let serverText = cluster.server, !serverText.isEmpty else {
            throw KubeconfigError.missingServer(cluster: entry.cluster)
        }
        // Request paths are appended to the server URL, so it must end in a path: a query or a
        // fragment would swallow them, and credentials in the URL would leak into logs.
        guard let server = URL(string: serverText), let scheme = server.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = server.host, !host.isEmpty,
            server.query == nil, server.fragment == nil, server.user == nil, server.password == nil,
            !serverText.contains("?"), !serverText.contains("#")
        else {
            throw KubeconfigError.invalidServerURL(cluster: entry.cluster)
        }

        var tls = KubeTarget.TLS()
        tls.insecureSkipTLSVerify = cluster.insecureSkipTLSVerify
        tls.serverName = cluster.tlsServerName.flatMap { $0.isEmpty ? nil : $0 }
        tls.certificateAuthorityPEM = try material(
            data: cluster.certificateAuthorityData, file: cluster.certificateAuthority,
            field: "\(clusterPath).certificate-authority")
        if let pem = tls.certificateAuthorityPEM {
            try Self.checkCertificates(pem, field: "\(clusterPath).certificate-authority")
        }
        tls.clientCertificatePEM = try material(
            data: user.clientCertificateData, file: user.clientCertificate,
            field: "\(userPath).client-certificate")
        tls.clientKeyPEM = try material(
            data: user.clientKeyData, file: user.clientKey, field: "\(userPath).client-key")
        switch (tls.clientCertificatePEM, tls.clientKeyPEM) {
        case (let certificate?, let key?):
            try Self.checkCertificates(certificate, field: "\(userPath).client-certificate")
            try Self.checkKey(key, field: "\(userPath).client-key")
        case (.some, nil):
            throw KubeconfigError.invalidField(userPath, reason: "has a client certificate but no client key")
        case (nil, .some):
            throw KubeconfigError.invalidField(userPath, reason: "has a client key but no client certificate")
        case (nil, nil):
            break
        }

        let credentials: KubeCredentials
        if let token = user.token, !token.isEmpty {
            credentials = .bearerToken(token)
        } else if let tokenFile = user.tokenFile, !tokenFile.isEmpty {
            let path = absolutePath(tokenFile)
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw KubeconfigError.unreadableFile(field: "\(userPath).tokenFile", path: path)
            }
            credentials = .tokenFile(path: path)
        } else if let username = user.username, !username.isEmpty {
            credentials = .basic(username: username, password: user.password ?? "")
        } else if let exec = user.exec {
            credentials = .exec(ExecCredentialPlugin(configuration: pluginConfiguration(exec, cluster: cluster)))
        } else if let provider = user.authProvider {
            throw KubeconfigError.unsupportedAuthProvider(user: entry.user, name: provider)
        } else {
            credentials = .none
        }

        return KubeTarget(
            server: server,
            contextName: contextName,
            clusterName: entry.cluster,
            userName: entry.user,
            namespace: entry.namespace,
            tls: tls,
            credentials: credentials
        )
    }

    private func pluginConfiguration(_ exec: Exec, cluster: Cluster) -> ExecCredentialPlugin.Configuration {
        var clusterInfo: [String: String]?
        if exec.provideClusterInfo {
            var info = ["server": cluster.server ?? ""]
            if let data = cluster.certificateAuthorityData { info["certificate-authority-data"] = data }
            if let name = cluster.tlsServerName { info["tls-server-name"] = name }
            if cluster.insecureSkipTLSVerify { info["insecure-skip-tls-verify"] = "true" }
            clusterInfo = info
        }
        return ExecCredentialPlugin.Configuration(
            command: exec.command,
            arguments: exec.arguments,
            environment: exec.environment,
            apiVersion: exec.apiVersion,
            interactiveMode: exec.interactiveMode,
            workingDirectory: baseDirectory,
            clusterInfo: clusterInfo
        )
    }

    /// `X-data` (base64) wins over file `X`, as in client-go.
    private func material(data: String?, file: String?, field: String) throws -> [UInt8]? {
        if let data, !data.isEmpty {
            let compact = data.filter { !$0.isWhitespace }
            guard let decoded = Data(base64Encoded: compact) else {
                throw KubeconfigError.invalidField("\(field)-data", reason: "is not valid base64")
            }
            return Array(decoded)
        }
        if let file, !file.isEmpty {
            let path = absolutePath(file)
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw KubeconfigError.unreadableFile(field: field, path: path)
            }
            return Array(contents)
        }
        return nil
    }

    func absolutePath(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if path.hasPrefix("~/") {
            return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(String(path.dropFirst(2)))
                .path
        }
        let base = baseDirectory ?? FileManager.default.currentDirectoryPath
        return URL(fileURLWithPath: base).appendingPathComponent(path).standardizedFileURL.path
    }

    static func checkCertificates(_ pem: [UInt8], field: String) throws {
        let certificates = try? NIOSSLCertificate.fromPEMBytes(pem)
        guard let certificates, !certificates.isEmpty else {
            throw KubeconfigError.invalidField(field, reason: "does not hold a PEM certificate")
        }
    }

    static func checkKey(_ pem: [UInt8], field: String) throws {
        guard (try? NIOSSLPrivateKey(bytes: pem, format: .pem)) != nil else {
            throw KubeconfigError.invalidField(field, reason: "does not hold a PEM private key")
        }
    }
}
