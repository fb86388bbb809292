/// Kubeconfigs for registry tests. `secretMarker` is the user's token: it must never appear in
/// a response or a log line.
enum Kubeconfigs {
    static let secretMarker = "s3cr3t-token-MARKER-7f1c"

    static let valid = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: prod
          cluster:
            server: https://127.0.0.1:1
            insecure-skip-tls-verify: true
        users:
        - name: admin
          user:
            token: \(secretMarker)
        contexts:
        - name: prod-admin
          context:
            cluster: prod
            user: admin
        current-context: prod-admin
        """

    static let noCurrentContext = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: prod
          cluster:
            server: https://127.0.0.1:1
        users:
        - name: admin
          user:
            token: \(secretMarker)
        contexts:
        - name: prod-admin
          context:
            cluster: prod
            user: admin
        """

    static let noServer = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: prod
          cluster:
            insecure-skip-tls-verify: true
        users:
        - name: admin
          user:
            token: \(secretMarker)
        contexts:
        - name: prod-admin
          context:
            cluster: prod
            user: admin
        current-context: prod-admin
        """
}
