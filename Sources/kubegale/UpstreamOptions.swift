import ArgumentParser
import GaleGateway
import KubeClient

/// `serve` options about the clusters behind the gateway: what a registered kubeconfig may ask of
/// this host, and how users are represented upstream.
struct UpstreamOptions: ParsableArguments {
    @Flag(help: "Accept registered kubeconfigs with exec credential plugins (they run commands on this host). [env: KUBEGALE_ALLOW_KUBECONFIG_EXEC=1]")
    var allowKubeconfigExec = false

    @Flag(help: "Accept registered kubeconfigs naming files of this host (certificate-authority, client-certificate, client-key, tokenFile). [env: KUBEGALE_ALLOW_KUBECONFIG_FILES=1]")
    var allowKubeconfigFiles = false

    @Flag(help: "Accept registered kubeconfigs with http:// servers or insecure-skip-tls-verify. [env: KUBEGALE_ALLOW_KUBECONFIG_INSECURE=1]")
    var allowKubeconfigInsecure = false

    @Flag(help: "Call clusters as the gateway itself instead of impersonating each user (Kubernetes RBAC then sees one identity). [env: KUBEGALE_NO_IMPERSONATION=1]")
    var noImpersonation = false

    @Option(help: "Prefix of the group sent upstream for a token's role (\"kubegale:\" sends kubegale:viewer, …). [env: KUBEGALE_ROLE_GROUP_PREFIX]")
    var roleGroupPrefix: String?

    @Option(help: "Seconds an access review answer (may this user list these objects?) is reused. [env: KUBEGALE_ACCESS_REVIEW_TTL]")
    var accessReviewTtl: Int?

    @Flag(help: "Register the cluster this gateway runs in, through its pod's service account (in-cluster mode). [env: KUBEGALE_IN_CLUSTER=1]")
    var inCluster = false

    @Option(help: "Service account directory read in in-cluster mode (default /var/run/secrets/kubernetes.io/serviceaccount). [env: KUBEGALE_SERVICE_ACCOUNT_DIR]")
    var serviceAccountDir: String?

    /// The in-cluster configuration when in-cluster mode is on: `KUBERNETES_SERVICE_HOST`/`_PORT` and
    /// the service account directory.
    func inClusterConfig(_ environment: Environment) -> InClusterConfig? {
        guard inCluster || environment.flag("IN_CLUSTER") else { return nil }
        return InClusterConfig(directory: serviceAccountDir ?? environment["SERVICE_ACCOUNT_DIR"] ?? InClusterConfig.defaultDirectory)
    }

    func apply(to configuration: inout GatewayConfiguration, _ environment: Environment) throws {
        configuration.kubeconfigPolicy = KubeconfigPolicy(
            allowsExec: allowKubeconfigExec || environment.flag("ALLOW_KUBECONFIG_EXEC"),
            allowsFiles: allowKubeconfigFiles || environment.flag("ALLOW_KUBECONFIG_FILES"),
            allowsInsecureTransport: allowKubeconfigInsecure || environment.flag("ALLOW_KUBECONFIG_INSECURE")
        )
        var impersonation = configuration.impersonation
        impersonation.enabled = !(noImpersonation || environment.flag("NO_IMPERSONATION"))
        if let prefix = roleGroupPrefix ?? environment["ROLE_GROUP_PREFIX"] {
            impersonation.roleGroupPrefix = prefix
        }
        if let seconds = try accessReviewTtl ?? environment.int("ACCESS_REVIEW_TTL") {
            guard seconds >= 0 else { throw ValidationError("the access review TTL must not be negative") }
            impersonation.accessReviewTTL = .seconds(seconds)
        }
        configuration.impersonation = impersonation
    }
}
