import Foundation

extension KubeSimServer {
    /// A kubeconfig pointing at the running simulator: cluster and user `kubesim`, context `kubesim`, current.
    public func kubeconfig() throws -> String {
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
                token: \(token)
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

    /// Writes ``kubeconfig()`` to `path` (mode 0600).
    public func writeKubeconfig(to path: String) throws {
        let text = try kubeconfig()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}
