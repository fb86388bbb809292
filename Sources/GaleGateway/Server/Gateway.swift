public import Foundation
import GaleProtocol
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
public import Logging
import NIOCore
public import ServiceLifecycle

/// The KubeGale Realtime gateway: HTTP API, WebSocket sessions and their supporting parts, run
/// as one `Service`.
public final class Gateway: Service {
    public let configuration: GatewayConfiguration
    /// Issues and verifies tokens with the gateway's keys.
    public let tokens: TokenAuthority
    /// Whether the JWT secret came from the data directory rather than the configuration.
    public let secretFromDataDirectory: Bool
    public let registry: ClusterRegistry
    public let metrics: GatewayMetrics
    let sessions: SessionRegistry
    let connections: ClusterConnections
    let dispatcher: OperationDispatcher
    /// One-time tickets of pod terminals, issued by `GET /pods/{name}/terminal`, used by the exec socket.
    let terminalTickets: TerminalTickets
    /// What `/readyz` reports; false from the start of graceful shutdown.
    let readiness = Readiness()
    /// Sample history of every cluster, fed by ``MetricsSampler`` and read by `GET /metrics/stats`.
    let metricsSampling = MetricsSampler.Configuration()
    let metricsHistory: MetricsHistory
    /// Shared upstream watches behind every `watch` and `events` channel.
    let hub: WatchHub
    /// Shared metrics samplers behind every `metrics` channel.
    let metricsFeeds: MetricsFeeds
    let liveChannels: LiveChannels
    /// File uploads and downloads, for `upload`/`download` frames and the HTTP file route.
    let fileTransfers: FileTransfers
    /// Runs automation tasks on their schedules and alerts.
    let automation: AutomationScheduler
    /// The serving certificate when TLS is on; ``TLSCertificates/reload()`` is what SIGHUP calls.
    public let certificates: TLSCertificates?
    private let logger: Logger

    /// Opens the data directory (creating it, its database and secrets as needed).
    public init(configuration: GatewayConfiguration, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        let directory = configuration.dataDirectory
        // Owner-only: the directory holds the secrets and the (sealed) registry.
        try FileManager.default.createDirectory(
            at: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )

        try configuration.listener.checkExposure(host: configuration.host)
        certificates = try configuration.listener.tls.map { try TLSCertificates(files: $0, logger: logger) }
        var secret = configuration.jwtSecret
        secretFromDataDirectory =
            secret == nil && configuration.jwtPublicKeyPEM == nil && configuration.jwt.jwksJSON == nil
        if secretFromDataDirectory {
            secret = try Self.dataDirectorySecret(directory)
        }
        tokens = try await TokenAuthority(
            secret: secret, publicKeyPEM: configuration.jwtPublicKeyPEM, configuration: configuration.jwt)

        let sealKey =
            try configuration.sealKey
            ?? SecretFile.loadOrCreate(directory.appendingPathComponent("seal.key"), generate: KubeconfigSealer.generateKey).value
        guard let keyData = Data(base64Encoded: sealKey) else { throw ConfigurationError("the seal key is not base64") }
        let sealer = try KubeconfigSealer(keyData: keyData)
        let store = try await Self.openStore(
            configuration.database, directory: directory, configuration: configuration, sealer: sealer, logger: logger)
        let (tickets, confirmations) = Self.singleUseGates(store: store, sealKey: keyData)
        terminalTickets = tickets
        registry = ClusterRegistry(store: store, sealer: sealer, policy: configuration.kubeconfigPolicy)

        metrics = GatewayMetrics()
        sessions = SessionRegistry(
            metrics: metrics, security: configuration.webSocketSecurity,
            live: LiveSessions(resumeWindow: configuration.live.resumeWindow, security: configuration.webSocketSecurity))
        let connections = ClusterConnections(
            registry: registry, impersonation: configuration.impersonation, logger: logger)
        self.connections = connections
        let hub = WatchHub(
            configuration: configuration.live.sharedWatch, logger: logger,
            onUnresponsive: { cluster, reason in await connections.markUnreachable(cluster, reason: reason) }
        ) { cluster in
            try await connections.upstreamClient(cluster: cluster)
        }
        self.hub = hub
        await connections.observeRemovals { cluster in await hub.endWatches(cluster: cluster) }
        let reviews = AccessReviews(connections: connections, logger: logger)
        await connections.observeIdentityChanges { cluster in
            await reviews.forget(cluster: cluster)
            await hub.resetWatches(cluster: cluster, reason: "the cluster's identity (kube-system uid) changed")
        }
        var table = OperationTable()
        table.add(contentsOf: registry.operations(connections: connections, confirmations: confirmations))
        let access = ClusterAccess(
            registry: registry, connections: connections,
            lists: configuration.live.cacheLists ? CachedLists(hub: hub, reviews: reviews) : nil)
        table.add(contentsOf: access.clusterOperations)
        let resources = ResourceOperations(access: access, confirmations: confirmations)
        table.add(contentsOf: resources.operations)
        table.add(contentsOf: YAMLEditorOperations(resources: resources).operations)
        let templates = TemplateOperations(
            store: registry.store, applier: TemplateApplier(access: access), confirmations: confirmations)
        table.add(contentsOf: templates.operations)
        table.add(contentsOf: TopologyOperations(access: access).operations)
        table.add(contentsOf: MergedListOperations(access: access).operations)
        table.add(contentsOf: ClusterOverview(access: access).operations)
        metricsHistory = MetricsHistory(capacity: metricsSampling.capacity)
        table.add(
            contentsOf: SpecialOperations(
                access: access, confirmations: confirmations, terminals: terminalTickets, history: metricsHistory,
                reviews: reviews,
                webSocketOrigin: PodOperations.webSocketOrigin(
                    host: configuration.host, port: configuration.port, secure: configuration.listener.tls != nil),
                terminal: configuration.terminal
            ).operations)
        let alertFeed = AlertFeed()
        table.add(contentsOf: AlertOperations(registry: registry, reviews: reviews, feed: alertFeed).operations)
        let runner = AutomationRunner(store: registry.store, access: access, templates: templates)
        automation = AutomationScheduler(
            store: registry.store, runner: runner, feed: alertFeed, configuration: configuration.automation,
            logger: logger)
        table.add(
            contentsOf: AutomationOperations(registry: registry, reviews: reviews, runner: runner, scheduler: automation)
                .operations)
        dispatcher = OperationDispatcher(table: table, metrics: metrics)

        metricsFeeds = MetricsFeeds(
            history: metricsHistory, minimumInterval: configuration.live.minimumMetricsInterval, logger: logger
        ) { cluster in
            try await connections.upstreamClient(cluster: cluster)
        }
        fileTransfers = FileTransfers(
            access: ClusterAccess(registry: registry, connections: connections), configuration: configuration.live.files)
        liveChannels = LiveChannels(
            registry: registry, connections: connections, hub: hub, reviews: reviews, metrics: metricsFeeds,
            logs: LogStreams(registry: registry, connections: connections), files: fileTransfers,
            configuration: configuration.live, execIdleTimeout: configuration.terminal.idleTimeout, logger: logger,
            gatewayMetrics: metrics, alertFeed: alertFeed)
    }

    /// Registers the demo cluster through `kubeconfig` — the same path as any cluster — when the
    /// registry is empty, or points the demo cluster registered by an earlier start at it.
    /// Returns the demo cluster, or `nil` when the registry holds other clusters only.
    public func attachDemoCluster(kubeconfig: String) async throws -> ClusterRecord? {
        let marker = configuration.dataDirectory.appendingPathComponent("demo-cluster-id")
        if let text = try? String(contentsOf: marker, encoding: .utf8), let id = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let record = try await registry.replaceKubeconfig(of: id, with: kubeconfig, connections: connections)
        {
            return record
        }
        guard try await registry.store.list(keyword: nil, ids: nil, offset: 0, limit: 1).total == 0 else { return nil }
        let record = try await registry.register(
            name: "demo",
            description: "KubeSim demo cluster, started by kubegale serve",
            kubeconfig: kubeconfig,
            connections: connections
        )
        try String(record.id).write(to: marker, atomically: true, encoding: .utf8)
        return record
    }

    /// The secret in `DATA/jwt-secret`, generated on first start.
    public static func dataDirectorySecret(_ directory: URL) throws -> String {
        try SecretFile.loadOrCreate(directory.appendingPathComponent("jwt-secret")) {
            var generator = SystemRandomNumberGenerator()
            return (0..<4).map { _ in String(generator.next() as UInt64, radix: 36) }.joined(separator: "-")
                + "-" + String(generator.next() as UInt64, radix: 16)
        }.value
    }

    /// Runs the gateway until graceful shutdown. `onListening` receives the bound port.
    public func run(onListening: @escaping @Sendable (Int) async -> Void) async throws {
        let application = buildApplication(onListening: onListening)
        // Sessions come after the server: service groups stop services in reverse order, so
        // sockets are closed with 1001 before the server stops.
        let prober = ClusterProber(connections: connections, store: registry.store, interval: configuration.probeInterval)
        let sampler = MetricsSampler(
            connections: connections, store: registry.store, history: metricsHistory, configuration: metricsSampling,
            logger: logger)
        let notifier = WebhookNotifier(configuration: configuration.alerts, logger: logger)
        let alerts = AlertEvaluator(
            store: registry.store, hub: hub, history: metricsHistory, feed: liveChannels.alertFeed, notifier: notifier,
            interval: configuration.alerts.evaluationInterval, logger: logger)
        var services: [any Service] = [prober, sampler, notifier, alerts]
        if configuration.automation.schedulerEnabled { services.append(automation) }
        services += [application, sessions]
        if let certificates { services.append(CertificateReloadOnSignal(certificates: certificates)) }
        if let interval = configuration.memoryTrimInterval { services.append(MemoryTrim(interval: interval)) }
        if registry.store.sharedNonces != nil {
            services.append(ClusterChangeFollower(store: registry.store, connections: connections, logger: logger))
        }
        // Last, so that graceful shutdown reaches it first: /readyz turns 503, then the drain delay.
        services.append(Readiness.Drain(readiness: readiness, delay: configuration.drainDelay))
        let group = ServiceGroup(services: services, logger: logger)
        do {
            try await group.run()
        } catch {
            await hub.stopAll()
            await connections.shutdown()
            await registry.store.close()
            throw error
        }
        await hub.stopAll()
        await connections.shutdown()
        await registry.store.close()
    }

    public func run() async throws {
        try await run { _ in }
    }

    private func buildApplication(onListening: @escaping @Sendable (Int) async -> Void) -> some Service {
        let limits = configuration.webSocket
        let endpoint = WebSocketEndpoint(
            authority: tokens,
            dispatcher: dispatcher,
            channels: liveChannels,
            sessions: sessions,
            limits: limits,
            metrics: metrics,
            overTLS: configuration.listener.tls != nil
        )
        let terminals = TerminalEndpoint(
            tickets: terminalTickets, access: ClusterAccess(registry: registry, connections: connections),
            sessions: sessions, limits: limits, configuration: configuration.terminal)
        let webSocketRoutes = WebSocketRoutes(
            endpoint: endpoint, terminals: terminals, diagnosticEcho: configuration.diagnosticEcho)
        var extensions: [WebSocketExtensionFactory] = []
        if limits.compression {
            extensions.append(MeteredDeflateBuilder.factory(limits: limits, metrics: metrics))
        }
        let webSocketConfiguration = WebSocketServerConfiguration(
            maxFrameSize: limits.maxFrameSize,
            extensions: extensions,
            autoPing: .enabled(timePeriod: limits.pingInterval),
            validateUTF8: true
        )
        let listener = configuration.listener
        let http1 = HTTP1Channel.Configuration(idleTimeout: listener.idleTimeout.map { TimeAmount($0) })
        let server = HTTPServerBuilder { [certificates, origins = sessions.origins] responder in
            GuardedChildChannel(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder, configuration: .init(http1: http1, ws: webSocketConfiguration),
                    shouldUpgrade: webSocketRoutes.shouldUpgrade),
                certificates: certificates,
                headerTimeout: TimeAmount(listener.headerTimeout), origins: origins)
        }
        return Application(
            router: HTTPRoutes(gateway: self).router(),
            server: server,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "KubeGale-Realtime",
                backlog: listener.backlog
            ),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }
}
