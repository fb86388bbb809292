import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// A Kubernetes API server simulator on loopback that speaks the real wire format, so that `kubectl` and the
/// gateway work against it unchanged.
///
/// ```swift
/// let sim = KubeSimServer(configuration: .init())
/// let port = try await sim.start()
/// try sim.writeKubeconfig(to: "/tmp/kubesim.yaml")
/// // ... kubectl --kubeconfig /tmp/kubesim.yaml get pods -A
/// await sim.stop()
/// ```
public final class KubeSimServer: Sendable {
    /// Server settings; every field has a default.
    public struct Configuration: Sendable {
        /// Address to bind.
        public var host: String
        /// Port to bind; 0 picks an ephemeral port.
        public var port: Int
        /// Bearer token clients must present; random when `nil`.
        public var token: String?
        /// Whether to create the demo cluster (namespaces, nodes, workloads, ...).
        public var seedDemoData: Bool
        /// Changes kept for watches resuming from a resourceVersion.
        public var historyWindow: Int
        /// Generated log lines per second per running container.
        public var logLinesPerSecond: Double
        /// How often BOOKMARK events are sent to watches that allow them.
        public var bookmarkInterval: Duration
        /// How long a new pod stays Pending before it runs.
        public var podStartDelay: Duration
        /// How long a Job's pod runs before it succeeds.
        public var jobRunDuration: Duration
        /// Period of the controllers' resync (they also react to every change at once).
        public var reconcileInterval: Duration
        /// Most Event objects kept.
        public var eventLimit: Int
        /// Version reported by `/version` (kubectl picks its minor version from it).
        public var gitVersion: String
        /// Serve HTTPS with a CA generated at startup (kubectl sends bearer tokens only over TLS).
        public var tls: Bool
        /// More bearer tokens and the users they authenticate as (`system:authenticated` is added); the
        /// ``token`` authenticates as ``UserInfo/admin`` (group `system:masters`).
        public var users: [String: UserInfo]
        /// Keep the cluster in this directory: restored at start when it holds one (then nothing is seeded),
        /// saved after each burst of changes and at stop. `nil` keeps it in memory only.
        public var stateDirectory: String?
        /// The longest a change waits before the state directory is written.
        public var stateSaveInterval: Duration
        /// Running pods added to the demo for benchmarks (Deployments of up to 1000 replicas in namespaces
        /// `scale-0`, `scale-1`, …); not added when the state directory restores a cluster.
        public var scalePods: Int

        public init(
            host: String = "127.0.0.1", port: Int = 0, token: String? = nil, seedDemoData: Bool = true,
            historyWindow: Int = 2000, logLinesPerSecond: Double = 2, bookmarkInterval: Duration = .seconds(5),
            podStartDelay: Duration = .milliseconds(600), jobRunDuration: Duration = .seconds(2),
            reconcileInterval: Duration = .milliseconds(500), eventLimit: Int = 1000, gitVersion: String = "v1.32.4",
            tls: Bool = true, users: [String: UserInfo] = [:], stateDirectory: String? = nil,
            stateSaveInterval: Duration = .seconds(2), scalePods: Int = 0
        ) {
            self.host = host
            self.port = port
            self.token = token
            self.seedDemoData = seedDemoData
            self.historyWindow = historyWindow
            self.logLinesPerSecond = logLinesPerSecond
            self.bookmarkInterval = bookmarkInterval
            self.podStartDelay = podStartDelay
            self.jobRunDuration = jobRunDuration
            self.reconcileInterval = reconcileInterval
            self.eventLimit = eventLimit
            self.gitVersion = gitVersion
            self.tls = tls
            self.users = users
            self.stateDirectory = stateDirectory
            self.stateSaveInterval = stateSaveInterval
            self.scalePods = scalePods
        }
    }

    struct Runtime {
        var port: Int?
        var listener: Task<Void, any Error>?
        var serviceGroup: ServiceGroup?
        var controllers: Task<Void, Never>?
        var persister: Task<Int, Never>?
        var seeded = false
    }

    /// The configuration the server was created with.
    public let configuration: Configuration
    /// The bearer token clients must send.
    public let token: String
    /// The object store (direct access for tests and seeding).
    public let store: ObjectStore
    /// The API semantics (create/patch/delete with propagation, scale, eviction) for in-process callers.
    public let api: ClusterAPI
    /// Fault injection.
    public let faults: FaultInjector
    /// RBAC over the store's Roles, ClusterRoles and bindings; decides every request.
    public let authorizer: RBACAuthorizer
    let streams = LiveStreams()
    let execActivity = ExecActivity()
    let runtime = Mutex(Runtime())
    let filesystems = FileSystems()
    let logger: Logger
    /// The generated CA and serving certificate when ``Configuration/tls`` is on.
    public let authority: SelfSignedAuthority?

    public init(configuration: Configuration = .init(), logger: Logger = Logger(label: "kubesim")) {
        self.authority = configuration.tls ? try? SelfSignedAuthority(host: configuration.host) : nil
        self.configuration = configuration
        self.token = configuration.token ?? Self.randomToken()
        self.store = ObjectStore(configuration: .init(historyWindow: configuration.historyWindow))
        self.api = ClusterAPI(store: store, eventLimit: configuration.eventLimit)
        self.faults = FaultInjector(store: store)
        self.authorizer = RBACAuthorizer(store: store)
        self.logger = logger
    }

    static func randomToken() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return "kubesim-" + String((0..<32).map { _ in alphabet.randomElement()! })
    }

    /// Exec sessions running now (a session ends when its command returns or its client goes away).
    public var openExecSessions: Int { execActivity.open }

    /// Bytes of exec output (stdout, stderr) written to clients since the server was created.
    public var execOutputBytes: Int { execActivity.outputBytes }

    /// The bound port while running.
    public var port: Int? { runtime.withLock { $0.port } }

    /// `https://127.0.0.1:PORT` (or `http://` without TLS).
    public var url: String? { port.map { "\(authority == nil ? "http" : "https")://\(configuration.host):\($0)" } }

    /// Restores the state directory's cluster or seeds the default RBAC policy and the demo data (once), starts the
    /// controllers and the listener; returns the bound port. Throws ``StateDirectoryError`` for a state directory
    /// whose file is corrupt or that cannot be written.
    @discardableResult
    public func start() async throws -> Int {
        let shouldSeed = runtime.withLock { state -> Bool in
            defer { state.seeded = true }
            return !state.seeded
        }
        var restored = false
        if shouldSeed {
            do {
                restored = try restoreState()
                if !restored {
                    BootstrapPolicy.seed(store)
                    if configuration.seedDemoData { DemoData.seed(api) }
                    DemoData.seedScale(api, pods: configuration.scalePods)
                }
            } catch {
                runtime.withLock { $0.seeded = false }
                throw error
            }
        }
        try startPersister(restored: restored)
        startControllers()
        return try await listen(on: configuration.port)
    }

    /// Stops the listener and the controllers. State is kept; `start()` again resumes.
    public func stop() async {
        await stopListener()
        let controllers = runtime.withLock { state -> Task<Void, Never>? in
            defer { state.controllers = nil }
            return state.controllers
        }
        controllers?.cancel()
        await controllers?.value
        await stopPersister()
    }

    /// Stops the listener (open connections end, as when an apiserver goes down) and starts it again on the
    /// same port with the same state.
    public func restart(downtime: Duration = .zero) async throws {
        guard let port = self.port else { throw KubeSimError.notRunning }
        await stopListener()
        if downtime > .zero { try await Task.sleep(for: downtime) }
        _ = try await listen(on: port)
    }

    /// Starts the listener on `port`. A given port (not 0) that cannot be bound is tried again for
    /// up to 10 s: it was free a moment ago, and a connection made meanwhile may hold it as its own
    /// local port for a while (an apiserver coming back retries its bind the same way).
    private func listen(on port: Int) async throws -> Int {
        var attempts = 0
        while true {
            do {
                return try await startListener(port: port)
            } catch let error as KubeSimError where error.isBindFailure && port != 0 && attempts < 40 {
                attempts += 1
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    func startControllers() {
        runtime.withLock { state in
            guard state.controllers == nil else { return }
            let manager = ControllerManager(api: api, configuration: configuration)
            // Unstructured task: lives until `stop()` cancels it and awaits its end.
            state.controllers = Task { await manager.run() }
        }
    }

    /// Stops accepting connections and ends every open stream; keeps the store.
    public func stopListener() async {
        let (task, group) = runtime.withLock { state -> (Task<Void, any Error>?, ServiceGroup?) in
            defer {
                state.listener = nil
                state.serviceGroup = nil
            }
            return (state.listener, state.serviceGroup)
        }
        guard let task else { return }
        store.dropAllWatches()
        streams.cancelAll()
        await group?.triggerGracefulShutdown()
        let finished = Mutex(false)
        // Give graceful shutdown a moment, then cancel whatever still hangs on.
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(3))
            if !finished.withLock({ $0 }) { task.cancel() }
        }
        _ = try? await task.value
        finished.withLock { $0 = true }
        watchdog.cancel()
    }

    func startListener(port: Int) async throws -> Int {
        if let running = self.port, runtime.withLock({ $0.listener != nil }) { return running }
        let gate = RequestGate(adminToken: token, users: configuration.users, authorizer: authorizer)
        let handler = APIHandler(
            api: api, gate: gate, reviews: AccessReviews(authorizer: authorizer), faults: faults, logs: LogGenerator(linesPerSecond: configuration.logLinesPerSecond),
            metrics: MetricsProvider(store: store), streams: streams, configuration: configuration,
            serverAddress: { [weak self] in "\(self?.configuration.host ?? "127.0.0.1"):\(self?.port ?? 0)" })
        let exec = ExecEndpoint(
            api: api, gate: gate, streams: streams, filesystems: filesystems, activity: execActivity,
            logs: LogGenerator(linesPerSecond: configuration.logLinesPerSecond))
        let portForward = PortForwardEndpoint(api: api, gate: gate, streams: streams)
        let router = Router(context: SimRequestContext.self)
        let respond: @Sendable (Request, SimRequestContext) async throws -> Response = { request, context in
            await handler.handle(request, context: context)
        }
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            for path in ["/version", "/healthz", "/readyz", "/livez", "/api", "/apis", "/api/**", "/apis/**", "/_kubesim/**", "/openapi/v2", "/openapi/v3", "/openapi/v3/**"] {
                router.on(RouterPath(path), method: method, use: respond)
            }
        }
        let (ready, readyContinuation) = AsyncStream<Int?>.makeStream()
        var server = HTTPServerBuilder.http1WebSocketUpgrade(
            configuration: .init(
                http1: .init(additionalChannelHandlers: [InputClosedHandler()]), ws: .init(maxFrameSize: 1 << 20))
        ) {
            request, _, _ in PortForwardEndpoint.handles(request) ? portForward.shouldUpgrade(request) : exec.shouldUpgrade(request)
        }
        if let authority {
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(authority.serverCertificatePEM.utf8), format: .pem))],
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(authority.serverKeyPEM.utf8), format: .pem)))
            server = try .tls(server, tlsConfiguration: tls)
        }
        let app = Application(
            router: router,
            server: server,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: port), reuseAddress: true),
            onServerRunning: { channel in readyContinuation.yield(channel.localAddress?.port) },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        // Unstructured task: owned by `runtime.listener`, awaited by `stopListener()`.
        let task = Task {
            defer { readyContinuation.yield(nil) }
            try await group.run()
        }
        var bound: Int?
        for await value in ready {
            bound = value
            break
        }
        guard let bound else {
            _ = try? await task.value
            throw KubeSimError.bindFailed(host: configuration.host, port: port)
        }
        runtime.withLock { state in
            state.port = bound
            state.listener = task
            state.serviceGroup = group
        }
        return bound
    }
}

extension KubeSimServer: Service {
    /// Runs until graceful shutdown (swift-service-lifecycle), then stops.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await stop()
    }
}
