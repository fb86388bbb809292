import Foundation
public import KubeClient

extension Gateway {
    /// The name the cluster the gateway runs in is registered under.
    public static let inClusterName = "in-cluster"
    /// The description of that registration; a record so described is the in-cluster one even when renamed.
    static let inClusterDescription = "The cluster this gateway runs in, reached through its service account (in-cluster mode)"

    /// In-cluster mode: registers the cluster this gateway runs in, reached through its service
    /// account, or finds the registration made by an earlier start or by another replica sharing
    /// the registry. Returns the cluster's record, probed.
    ///
    /// What is registered is a kubeconfig with the API server and its certificate authorities and no
    /// credentials: the service account token is never stored, sealed or not. The gateway's
    /// connections recognize that document and call the cluster with the token file of `config`,
    /// re-read as the kubelet rotates it. Throws ``InClusterConfigError`` when this is not a pod (or
    /// the service account cannot be read).
    public func attachInClusterCluster(_ config: InClusterConfig) async throws -> ClusterRecord {
        let target = try config.target()
        let kubeconfig = Self.inClusterKubeconfig(target)
        await connections.useInCluster(kubeconfig: kubeconfig, target: target)
        if let record = try await inClusterRecord(kubeconfig: kubeconfig) {
            guard record.description == Self.inClusterDescription || (try? registry.kubeconfig(of: record)) == kubeconfig
            else {
                throw ConfigurationError(
                    "in-cluster mode: a cluster named \"\(Self.inClusterName)\" is registered with another kubeconfig; rename or delete it")
            }
            if (try? registry.kubeconfig(of: record)) != kubeconfig,
                let updated = try await registry.replaceKubeconfig(of: record.id, with: kubeconfig, connections: connections)
            {
                // The API server's address or certificate authorities changed since it was registered.
                return updated
            }
            await connections.probe(record)
            return try await registry.store.get(id: record.id) ?? record
        }
        do {
            return try await registry.register(
                name: Self.inClusterName, description: Self.inClusterDescription, kubeconfig: kubeconfig,
                connections: connections)
        } catch {
            // Another replica sharing the registry registered it first.
            if let record = try await inClusterRecord(kubeconfig: kubeconfig) { return record }
            throw error
        }
    }

    /// The record holding exactly `kubeconfig`, else the one described or named as the in-cluster one.
    private func inClusterRecord(kubeconfig: String) async throws -> ClusterRecord? {
        var candidate: ClusterRecord?
        var offset = 0
        while true {
            let (records, total) = try await registry.store.list(keyword: nil, ids: nil, offset: offset, limit: 200)
            for record in records {
                if (try? registry.kubeconfig(of: record)) == kubeconfig { return record }
                if candidate == nil, record.description == Self.inClusterDescription || record.name == Self.inClusterName {
                    candidate = record
                }
            }
            offset += records.count
            if records.isEmpty || offset >= total { return candidate }
        }
    }

    /// The kubeconfig registered for the in-cluster cluster: server and certificate authorities only.
    static func inClusterKubeconfig(_ target: KubeTarget) -> String {
        let authority = Data(target.tls.certificateAuthorityPEM ?? []).base64EncodedString()
        let namespace = target.namespace.map { "\n    namespace: \($0)" } ?? ""
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: in-cluster
              cluster:
                server: \(target.server.absoluteString)
                certificate-authority-data: \(authority)
            users:
            - name: service-account
              user: {}
            contexts:
            - name: in-cluster
              context:
                cluster: in-cluster
                user: service-account\(namespace)
            current-context: in-cluster

            """
    }
}
