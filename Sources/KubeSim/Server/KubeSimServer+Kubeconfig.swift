import Foundation

extension KubeSimServer {
    /// A kubeconfig pointing at the running simulator: cluster and user `kubesim`, context `kubesim`, current;
    /// with the admin ``token`` unless another configured token is given.
    public func kubeconfig(token: String? = nil) throws -> String {
        guard let url else { throw KubeSimError.notRunning }
        let authorityLine =
            authority.map { "\n    certificate-authority-data: \(Data($0.caCertificatePEM.utf8).base64EncodedString())" } ?? ""
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: kubesim
              cluster:
                server: \(url)\(authorityLine)
            users:
            - name: kubesim
              user:
                token: \(token ?? self.token)
            contexts:
            - name: kubesim
              context:
                cluster: kubesim
                user: kubesim
                namespace: default
            current-context: kubesim
            preferences: {}

            """
    }

    /// Writes ``kubeconfig(token:)`` to `path` (mode 0600).
    public func writeKubeconfig(to path: String, token: String? = nil) throws {
        let text = try kubeconfig(token: token)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}
