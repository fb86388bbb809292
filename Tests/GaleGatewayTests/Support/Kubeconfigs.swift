/// Kubeconfigs for registry tests. `secretMarker` is the user's token: it must never appear in
/// a response or a log line.
enum Kubeconfigs {
    static let secretMarker = "s3cr3t-token-MARKER-7f1c"

    /// Nothing listens on 127.0.0.1:1, so clusters registered with it are unreachable.
    static let valid = make()
    static let noCurrentContext = make(currentContext: false)
    static let noServer = make(server: nil)

    private static func make(server: String? = "https://127.0.0.1:1", currentContext: Bool = true) -> String {
        let serverLine = server.map { "    server: \($0)\n" } ?? ""
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: prod
              cluster:
            \(serverLine)users:
            - name: admin
              user:
                token: \(secretMarker)
            contexts:
            - name: prod-admin
              context:
                cluster: prod
                user: admin
            \(currentContext ? "current-context: prod-admin" : "")
            """
    }
}
