import GaleJSON
import GaleProtocol
import KubeClient
import Logging
import Prometheus

/// Opens the channels that `subscribe` frames ask for, after checking that the caller may:
/// the cluster must be in the token's scope, and its cached state must not be down.
struct LiveChannels: Sendable {
    let registry: ClusterRegistry
    let connections: ClusterConnections
    let hub: WatchHub
    /// Authorizes each subscriber of a shared watch (which runs as the gateway) as its user.
    let reviews: AccessReviews
    let metrics: MetricsFeeds
    let logs: LogStreams
    let files: FileTransfers
    let configuration: LiveConfiguration
    /// Idle timeout of exec channels (the terminal setting).
    let execIdleTimeout: Duration?
    let logger: Logger
    /// Where watch resumes and conflations are counted.
    var gatewayMetrics: GatewayMetrics? = nil
    /// The live topologies, shared by the `topology` channels of every session.
    let topologies = TopologyFeeds()
    /// The current alerts and their changes, published by the ``AlertEvaluator``.
    var alertFeed = AlertFeed()

    /// Opens the channel of `frame` on `session`: when this returns, `subscribed` is queued and
    /// the channel runs. Throws the ``APIError`` to answer with otherwise.
    func subscribe(_ frame: ClientFrame.Subscribe, session: LiveSession) async throws(APIError) {
        // Checked first, so that reading it again where the channel opens cannot fail.
        _ = try SubscribeOptions(frame).batch
        if ClusterSelection.isSelection(frame.cluster) {
            try await subscribeMerged(frame, session: session)
            return
        }
        let principal = session.principal
        let (record, _) = try await cluster(frame.cluster, principal: principal)
        let options = SubscribeOptions(frame)
        switch frame.stream {
        case "watch", "events":
            var (key, resumeFrom) =
                frame.stream == "watch" ? try options.watchKey(cluster: record.id) : try options.eventsKey(cluster: record.id)
            key.redactsSecretData =
                key.resource == "secrets"
                && SecretRedaction.applies(
                    to: principal, impersonated: connections.identity(of: principal, on: record) != nil)
            let access = try await watchAccess(key, principal: principal, record: record)
            // Asked as the gateway: the user may list the watch's objects (checked above) without
            // being allowed to read the Namespace object itself.
            try await requireNamespace(key.namespace, client: try await connections.client(for: record, as: nil))
            try await openWatch(
                frame.stream == "watch" ? .watch : .events, key: key, access: access, resumeFrom: resumeFrom,
                id: frame.id, batch: try options.batch, session: session)
        case "topology":
            try await subscribeTopology(frame, record: record, session: session)
        case "alerts":
            try await subscribeAlerts(frame, record: record, session: session)
        case "metrics":
            try await openMetrics(options, record: record, principal: principal, id: frame.id, session: session)
        case "logs":
            let subscription = try await logs.subscribe(
                cluster: frame.cluster, options: frame.options, principal: principal, logger: logger)
            let channel = LogChannel(subscription: subscription, cluster: String(record.id))
            let opened = session.open(
                .logs, cluster: String(record.id), maxChannels: configuration.maxChannelsPerSession,
                batch: try options.batch, opening: { .subscribed(id: frame.id, channel: $0) }, body: channel.run)
            if opened == nil { throw tooManyChannels(.logs, session) }
        default:
            throw APIError.invalidArgument("stream \"\(frame.stream)\" is not available")
        }
    }

    /// The registry record and client of a cluster the principal may use and that is not known
    /// to be down.
    func cluster(_ id: String, principal: Principal) async throws(APIError) -> (ClusterRecord, KubeClient) {
        do {
            let record = try await registry.record(id, for: principal)
            return (record, try await connections.client(for: record, as: principal))
        } catch let error as APIError {
            throw error
        } catch {
            // The client gets 5001 without the text; the log keeps what happened.
            logger.error("cannot read the cluster registry", metadata: ["cluster.id": "\(id)", "error": "\(error)"])
            throw APIError.internalError
        }
    }

    /// A watch of a namespace that does not exist would wait forever for objects that cannot
    /// come; like the HTTP lists, it is refused with 1003.
    private func requireNamespace(_ namespace: String?, client: KubeClient) async throws(APIError) {
        do {
            try await SpecialOperations.requireNamespace(namespace, client: client)
        } catch let error as KubeError {
            throw APIError(error, verb: .read)
        } catch {
            throw APIError(.clusterUnreachable, "cannot check namespace \(namespace ?? ""): \(APIError.reason(of: error))")
        }
    }

    /// The subscriber's access to the shared watch of `key`, checked now (1005 when the cluster's
    /// RBAC refuses); `nil` for clusters that do not impersonate their users.
    private func watchAccess(_ key: WatchKey, principal: Principal, record: ClusterRecord) async throws(APIError)
        -> WatchAccess?
    {
        guard connections.identity(of: principal, on: record) != nil,
            let resource = ResourceCatalog.standard.resource(named: key.resource)
        else { return nil }
        let access = WatchAccess(
            reviews: reviews, principal: principal, record: record, resource: resource, namespace: key.namespace,
            interval: connections.impersonation.accessReviewTTL)
        try await access.check()
        return access
    }

    private func openWatch(
        _ kind: ChannelKind, key: WatchKey, access: WatchAccess?, resumeFrom: String?, id: FrameID, batch: Bool,
        session: LiveSession
    ) async throws(APIError) {
        let mailbox = WatchMailbox(
            conflateAfter: configuration.conflateAfter, limit: configuration.maxPendingChanges,
            conflations: gatewayMetrics?.conflations)
        if resumeFrom != nil { gatewayMetrics?.watchResumes.increment() }
        let watch: SharedWatch
        do {
            watch = try await hub.subscribe(key, mailbox: mailbox, resumeFrom: resumeFrom)
        } catch let error as APIError {
            throw error
        } catch {
            logger.error("cannot open a shared watch", metadata: ["watch": "\(key)", "error": "\(error)"])
            throw APIError(.internalError, "cannot watch \(key.resource)")
        }
        let channel = WatchChannel(
            hub: hub, watch: watch, mailbox: mailbox, cluster: String(key.cluster), access: access)
        let opened = session.open(
            kind, cluster: String(key.cluster), maxChannels: configuration.maxChannelsPerSession, batch: batch,
            opening: { .subscribed(id: id, channel: $0) }, body: channel.run)
        if opened == nil {
            mailbox.close()
            await watch.unsubscribe(mailbox)
            throw tooManyChannels(kind, session)
        }
    }

    private func openMetrics(
        _ options: SubscribeOptions, record: ClusterRecord, principal: Principal, id: FrameID, session: LiveSession
    ) async throws(APIError) {
        let cluster = record.id
        let scopeName = try options.string("scope") ?? "cluster"
        guard let scope = MetricsFeeds.Scope(rawValue: scopeName) else {
            throw APIError.invalidArgument("option \"scope\" must be one of cluster, nodes, pods")
        }
        let minimum = Int64(configuration.minimumMetricsInterval.components.seconds)
        let seconds = try options.int("interval", in: max(1, minimum)...3600) ?? max(15, minimum)
        let namespace = scope == .pods ? try options.string("namespace") : nil
        // The feeds are shared and sampled as the gateway: the user must be allowed to read them.
        let source = KubeResource(
            group: "metrics.k8s.io", version: "v1beta1", plural: scope == .pods ? "pods" : "nodes",
            kind: scope == .pods ? "PodMetrics" : "NodeMetrics", namespaced: scope == .pods)
        try await reviews.authorize(principal, on: record, verb: "list", resource: source, namespace: namespace)
        let key = MetricsFeeds.Key(cluster: cluster, scope: scope, namespace: namespace)
        let (subscription, items) = await metrics.subscribe(key, interval: .seconds(seconds))
        let channel = MetricsChannel(feeds: metrics, key: key, subscription: subscription, items: items)
        let opened = session.open(
            .metrics, cluster: String(record.id), maxChannels: configuration.maxChannelsPerSession,
            batch: try options.batch, opening: { .subscribed(id: id, channel: $0) },
            body: channel.run)
        if opened == nil {
            await metrics.unsubscribe(key, id: subscription)
            throw tooManyChannels(.metrics, session)
        }
    }

    /// Opens the process channel of `frame` (role operator or admin): when this returns, `opened`
    /// is queued and the process runs.
    func exec(_ frame: ClientFrame.Exec, session: LiveSession) async throws(APIError) {
        try session.principal.requireRole(.operator, for: "exec into containers")
        try await requireRunningContainer(
            cluster: frame.cluster, namespace: frame.namespace, pod: frame.pod, container: frame.container,
            principal: session.principal)
        let target = ExecBridge.Target(
            namespace: frame.namespace, pod: frame.pod, container: frame.container, command: frame.command,
            tty: frame.tty, stdin: true, cols: frame.cols, rows: frame.rows)
        let bridge = try await ExecBridge.open(
            access: ClusterAccess(registry: registry, connections: connections), principal: session.principal,
            cluster: frame.cluster, target: target, configuration: .init(idleTimeout: execIdleTimeout))
        try await openProcess(.exec, id: frame.id, session: session, body: ExecChannel(bridge: bridge).run) {
            await bridge.close()
        }
    }

    /// Opens an `upload` channel (role operator or admin): when this returns, `opened` is queued
    /// and the channel takes the file's bytes.
    func upload(_ frame: ClientFrame.Upload, session: LiveSession) async throws(APIError) {
        try session.principal.requireRole(.operator, for: "upload files into containers")
        let target = try await fileTarget(frame.target, principal: session.principal)
        let upload = try await files.upload(
            target, size: Int(clamping: frame.size), mode: frame.mode ?? 0o644, principal: session.principal)
        let channel = UploadChannel(upload: upload, progressInterval: files.configuration.progressInterval)
        try await openProcess(.upload, id: frame.id, session: session, body: channel.run) { await upload.cancel() }
    }

    /// Opens a `download` channel (role operator or admin) once the container's `tar` has said
    /// what the path is: when this returns, `opened` is queued and the bytes follow.
    func download(_ frame: ClientFrame.Download, session: LiveSession) async throws(APIError) {
        try session.principal.requireRole(.operator, for: "download files from containers")
        let target = try await fileTarget(frame.target, principal: session.principal)
        let download = try await files.download(target, principal: session.principal)
        // What the path is, before the channel opens: a missing file answers the frame (1004).
        let start = try await download.start()
        let channel = DownloadChannel(
            download: download, start: start, progressInterval: files.configuration.progressInterval)
        try await openProcess(.download, id: frame.id, session: session, body: channel.run) {
            await download.cancel()
        }
    }

    /// Opens a channel answered by `opened` (exec, upload, download); when the session has no
    /// room for it, `release` ends what was started for it and the frame is refused.
    private func openProcess(
        _ kind: ChannelKind, id: FrameID, session: LiveSession,
        body: @escaping @Sendable (ChannelContext) async -> ChannelEnd, release: () async -> Void
    ) async throws(APIError) {
        let opened = session.open(
            kind, maxChannels: configuration.maxChannelsPerSession, opening: { .opened(id: id, channel: $0) }, body: body)
        if opened == nil {
            await release()
            throw tooManyChannels(kind, session)
        }
    }

    private func fileTarget(_ target: ClientFrame.FileTarget, principal: Principal) async throws(APIError)
        -> FileTransfers.Target
    {
        let path = try ContainerPath(target.path)
        try await requireRunningContainer(
            cluster: target.cluster, namespace: target.namespace, pod: target.pod, container: target.container,
            principal: principal)
        return FileTransfers.Target(
            cluster: target.cluster, namespace: target.namespace, pod: target.pod, container: target.container, path: path)
    }

    /// Like `kubectl exec`, looks at the pod first: a missing pod is 1004, a pod that is not
    /// running or lacks the container 1001 — clear answers before any upgrade is attempted.
    func requireRunningContainer(
        cluster id: String, namespace: String, pod name: String, container: String?, principal: Principal
    ) async throws(APIError) {
        let (_, client) = try await cluster(id, principal: principal)
        let pod: JSONValue
        do {
            pod = try await client.get(Self.pods, namespace: namespace, name: name)
        } catch let error as KubeError {
            throw APIError(error, verb: .read)
        } catch {
            throw APIError(.clusterUnreachable, "cannot read pod \(namespace)/\(name): \(APIError.reason(of: error))")
        }
        let phase = pod["status"]?["phase"]?.stringValue ?? "Unknown"
        guard phase == "Running" else {
            throw APIError.invalidArgument("pod \(namespace)/\(name) is \(phase); exec needs a running pod")
        }
        let containers = (pod["spec"]?["containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        if let container, !containers.contains(container) {
            throw APIError.invalidArgument(
                "container \"\(container)\" is not in pod \(namespace)/\(name); "
                    + "choose one of: \(containers.joined(separator: ", "))")
        }
    }


    private static let pods = ResourceCatalog.standard.resource(named: "pods")!

    /// Why `session` could not open a channel of `kind` (its limit, or its subject's quota).
    private func tooManyChannels(_ kind: ChannelKind, _ session: LiveSession) -> APIError {
        session.refusal(opening: kind, maxChannels: configuration.maxChannelsPerSession)
    }
}
