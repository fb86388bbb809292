import Foundation
import GaleProtocol
import KubeClient
import Logging

/// One Kubernetes client per registered cluster, with the cluster's cached connection state.
///
/// Every cluster operation asks here first: a cluster known to be down is answered with 1006
/// and the reason at once, instead of every request waiting for its own timeout. A background
/// prober (``ClusterProber``) keeps the state fresh, so a cluster that comes back is used again
/// without anyone acting.
actor ClusterConnections {
    /// What is known of a cluster's reachability.
    enum State: String, Sendable, CaseIterable {
        case unknown
        case active
        case unreachable
    }

    private struct Connection {
        let client: KubeClient
        /// Which sealed kubeconfig the client was built from; a new one replaces the client.
        let sealedKubeconfig: Data
        var state: State = .unknown
        var version = ""
        var reason = ""
        /// `metadata.uid` of the cluster's `kube-system` namespace when last probed. It changes
        /// only when the cluster's store is a new one (etcd restored, cluster rebuilt): then every
        /// resourceVersion seen before means nothing.
        var identity: String?
    }

    private var connections: [Int64: Connection] = [:]
    /// Clusters deleted from the registry (whose ids are never given again): a call that read the
    /// record just before the deletion (a watch reconnecting, a probe) must not bring their client,
    /// and their state series, back.
    private var removed: Set<Int64> = []
    private var closed = false
    private let registry: ClusterRegistry
    private let logger: Logger
    /// How long a probe waits for the cluster: a hung apiserver is reported within this time.
    let probeTimeout: Duration
    private var identityObserver: (@Sendable (Int64) async -> Void)?
    /// In-cluster mode: the kubeconfig registered for the cluster the gateway runs in (server and
    /// certificate authorities, no credentials) and the target it stands for, whose credentials are
    /// the service account's token file. Only a record holding exactly that document is called with
    /// it: the document reaches no cluster and carries no identity of its own.
    private var inCluster: (kubeconfig: String, target: KubeTarget)?
    private var removalObserver: (@Sendable (Int64) async -> Void)?

    /// Whom calls made for a user are made as.
    let impersonation: ImpersonationConfiguration

    init(
        registry: ClusterRegistry, impersonation: ImpersonationConfiguration = .init(),
        probeTimeout: Duration = .seconds(5), logger: Logger
    ) {
        self.registry = registry
        self.impersonation = impersonation
        self.probeTimeout = probeTimeout
        self.logger = logger
    }

    /// `observer` is called with a cluster's id when its identity changes (see
    /// ``Connection/identity``), so that everything cached from it is thrown away.
    func observeIdentityChanges(_ observer: @escaping @Sendable (Int64) async -> Void) {
        identityObserver = observer
    }

    /// Calls the cluster registered with `kubeconfig` through `target` (in-cluster mode).
    func useInCluster(kubeconfig: String, target: KubeTarget) {
        inCluster = (kubeconfig, target)
    }

    /// The cached state of every cluster with a connection, for the metrics.
    var states: [Int64: State] { connections.mapValues(\.state) }

    /// `observer` is called with a cluster's id when it is deleted from the registry, so that
    /// everything live on it ends now rather than failing and retrying first.
    func observeRemovals(_ observer: @escaping @Sendable (Int64) async -> Void) {
        removalObserver = observer
    }

    /// The client of a cluster that is not known to be down, making its calls for `principal`
    /// (impersonated, see ``ImpersonationConfiguration``) or, for `nil`, as the gateway itself;
    /// 1006 with the reason when the cluster is down.
    func client(for record: ClusterRecord, as principal: Principal?) throws(APIError) -> KubeClient {
        let connection = try connection(for: record)
        if connection.state == .unreachable {
            throw APIError(.clusterUnreachable, "cluster \(record.id) (\(record.name)) is unreachable: \(connection.reason)")
        }
        return connection.client.impersonating(principal.flatMap { impersonation.identity(of: $0, on: record.settings) })
    }

    /// The client of cluster `id` whatever its cached state, for live upstreams (watches, metrics
    /// feeds, log follows) that keep trying while a cluster is down and must get through the moment
    /// it is back; for `principal` or, for `nil`, as the gateway (shared watches).
    /// Throws 1002 when the cluster is no longer registered.
    func upstreamClient(cluster id: Int64, as principal: Principal? = nil) async throws -> KubeClient {
        guard let record = try await registry.store.get(id: id) else { throw APIError.clusterNotFound(String(id)) }
        return try connection(for: record).client.impersonating(
            principal.flatMap { impersonation.identity(of: $0, on: record.settings) })
    }

    /// Whom calls for `principal` on this cluster are made as; `nil` when the cluster does not
    /// impersonate its users (then the gateway's roles alone decide).
    nonisolated func identity(of principal: Principal, on record: ClusterRecord) -> KubeImpersonation? {
        impersonation.identity(of: principal, on: record.settings)
    }

    /// Asks the cluster for its version (and identity) and records the outcome, in memory and in
    /// the registry.
    @discardableResult
    func probe(_ record: ClusterRecord) async -> State {
        let client: KubeClient
        do {
            client = try connection(for: record).client
        } catch {
            await setState(record.id, state: .unreachable, version: "", reason: error.message)
            return .unreachable
        }
        do {
            let version = try await client.version(timeout: probeTimeout)
            await setState(record.id, state: .active, version: version["gitVersion"]?.stringValue ?? "", reason: "")
            await checkIdentity(record.id, client: client)
            return .active
        } catch {
            await setState(record.id, state: .unreachable, version: record.version, reason: APIError.reason(of: error))
            return .unreachable
        }
    }

    /// Reads the identity of the cluster behind `client`; tells the observer when it is not the
    /// one seen before. A cluster whose `kube-system` cannot be read (RBAC) has no identity here.
    private func checkIdentity(_ id: Int64, client: KubeClient) async {
        guard let namespaces = ResourceCatalog.standard.resource(named: "namespaces"),
            let uid = try? await client.get(namespaces, namespace: nil, name: "kube-system", timeout: probeTimeout)[
                "metadata"]?["uid"]?.stringValue
        else { return }
        let previous = connections[id]?.identity
        connections[id]?.identity = uid
        guard let previous, previous != uid else { return }
        logger.notice(
            "cluster identity changed: its store is a new one; relisting everything watched",
            metadata: ["cluster.id": "\(id)", "previous": "\(previous)", "identity": "\(uid)"])
        await identityObserver?(id)
    }

    /// Notes that a call failed for a connection reason, so the next caller is told at once.
    func markUnreachable(_ id: Int64, reason: String) async {
        guard connections[id]?.state != .unreachable else { return }
        await setState(id, state: .unreachable, version: connections[id]?.version ?? "", reason: reason)
    }

    /// Forgets a cluster deleted from the registry: ends what is live on it, closes its client.
    func remove(_ id: Int64) async {
        removed.insert(id)
        await removalObserver?(id)
        await close(id)
    }

    private func close(_ id: Int64) async {
        guard let connection = connections.removeValue(forKey: id) else { return }
        try? await connection.client.shutdown()
    }

    /// The clusters this process holds a client for.
    func knownClusters() -> [Int64] { Array(connections.keys) }

    /// Closes every client; later calls get 1006.
    func shutdown() async {
        closed = true
        for id in Array(connections.keys) { await close(id) }
    }

    private func connection(for record: ClusterRecord) throws(APIError) -> Connection {
        guard !closed else { throw APIError(.clusterUnreachable, "the gateway is shutting down") }
        guard !removed.contains(record.id) else { throw APIError.clusterNotFound(String(record.id)) }
        if let existing = connections[record.id], existing.sealedKubeconfig == record.sealedKubeconfig {
            return existing
        }
        let client: KubeClient
        do {
            let kubeconfig = try registry.kubeconfig(of: record)
            let target =
                if let inCluster, inCluster.kubeconfig == kubeconfig {
                    inCluster.target
                } else {
                    try Kubeconfig(yaml: kubeconfig).resolve(policy: registry.policy)
                }
            client = try KubeClient(target: target, logger: logger)
        } catch {
            // The messages of these errors never contain credentials (see KubeconfigError).
            throw APIError(.clusterUnreachable, "cluster \(record.id) cannot be used: \(APIError.reason(of: error))")
        }
        if let stale = connections[record.id] {
            Task { try? await stale.client.shutdown() }  // in flight requests of the old client may finish
        }
        let connection = Connection(client: client, sealedKubeconfig: record.sealedKubeconfig)
        connections[record.id] = connection
        return connection
    }

    private func setState(_ id: Int64, state: State, version: String, reason: String) async {
        let previous = connections[id]?.state
        connections[id]?.state = state
        connections[id]?.version = version
        connections[id]?.reason = reason
        if previous != state {
            logger.info(
                "cluster state changed",
                metadata: ["cluster.id": "\(id)", "state": "\(state.rawValue)", "reason": "\(reason)"]
            )
        }
        do {
            try await registry.store.setState(id: id, status: state.rawValue, version: version)
        } catch {
            logger.error("cannot record cluster state", metadata: ["cluster.id": "\(id)", "error": "\(error)"])
        }
    }
}
