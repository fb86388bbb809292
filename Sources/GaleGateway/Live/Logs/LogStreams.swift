import GaleJSON
import KubeClient
import Logging

/// Live pod logs: opens the subscriptions of `subscribe {stream: logs}` channels and of the HTTP
/// follow stream (`GET /pods/{name}/logs?follow=true`).
///
/// ```swift
/// let subscription = try await logStreams.subscribe(cluster: "3", options: frame.options, principal: principal, logger: logger)
/// // answer `subscribed`, then:
/// try await subscription.run(onState: { state, reason in ... }) { lines in
///     for try await line in lines { ... line.eventFields ... }
/// }
/// ```
struct LogStreams: Sendable {
    /// Limits and timing; every field has a default.
    struct Configuration: Sendable {
        /// Most container logs one subscription follows (pods × containers).
        var maxStreams = 20
        /// How long a live line may wait for earlier lines of the other logs of its subscription.
        var reorderWindow: Duration = .milliseconds(100)
        /// Lines (and bytes) one container log may hold unread before its upstream is paused.
        var bufferedLines = 256
        var bufferedBytes = 1 << 20
        /// Longest wait for every log of a subscription to connect before its backlogs are merged.
        var primingTimeout: Duration = .seconds(5)
        /// Longest line kept; the rest of a longer line is dropped.
        var maxLineBytes = 64 << 10
        /// Reconnection delays: 0.8 s doubling to 30 s, with jitter.
        var backoff = Backoff()
        /// Failed reconnections after which a log's state is `unreachable` (it keeps trying).
        var unreachableAfter = 4
        /// How often a container that has not started yet is looked at.
        var startPollInterval: Duration = .seconds(2)
        /// How often a followed selector or workload is listed for new pods.
        var discoveryInterval: Duration = .seconds(5)

        init() {}

        var merge: LogMergeStateMachine.Configuration {
            .init(
                window: reorderWindow, maxLines: bufferedLines, maxBytes: bufferedBytes, primingTimeout: primingTimeout)
        }

        var follower: ContainerLogFollower.Configuration {
            .init(
                backoff: backoff, unreachableAfter: unreachableAfter, maxLineBytes: maxLineBytes,
                startPollInterval: startPollInterval)
        }
    }

    let registry: ClusterRegistry
    let connections: ClusterConnections
    var configuration = Configuration()

    /// Opens the logs subscription `options` (the members of a `subscribe` frame other than
    /// `type`, `id`, `stream`, `cluster`, as sent) on cluster `cluster` for `principal`.
    ///
    /// Throws an ``APIError``: 1001 for an option that is missing, unknown or invalid (the message
    /// names it) or more containers than ``Configuration/maxStreams``; 1002/1005 for a cluster
    /// that does not exist or is outside the token's scope; 1003 for a missing namespace; 1004 for
    /// a missing pod or workload; 1006 when the cluster cannot be reached.
    func subscribe(cluster: String, options: [String: JSONValue], principal: Principal, logger: Logger)
        async throws(APIError) -> LogSubscription
    {
        try principal.requireRole(.viewer, for: "read pod logs")
        return try await open(
            cluster: cluster, request: LogRequest(options: options), principal: principal, logger: logger)
    }

    /// Opens the subscription of a request already checked (the HTTP route builds its own).
    func open(cluster: String, request: LogRequest, principal: Principal, logger: Logger) async throws(APIError)
        -> LogSubscription
    {
        var logger = logger
        logger[metadataKey: "cluster.id"] = "\(cluster)"
        do {
            let record = try await registry.record(cluster, for: principal)
            let client = try await connections.client(for: record, as: principal)
            let connections = self.connections
            let connect: @Sendable () async throws -> KubeClient = { [id = record.id] in
                // Whatever the cached state: a follower keeps trying and gets through once the cluster is back.
                try await connections.upstreamClient(cluster: id, as: principal)
            }
            do {
                let targets = try await LogTargetResolver(
                    client: client, request: request, maxStreams: configuration.maxStreams
                )
                .resolve()
                return LogSubscription(
                    request: request, targets: targets, configuration: configuration, connect: connect, logger: logger)
            } catch let error as KubeError {
                if error.isUnreachable { await connections.markUnreachable(record.id, reason: error.message) }
                throw APIError(error, verb: .read)
            }
        } catch let error as APIError {
            throw error
        } catch {
            logger.error("cannot open log subscription", metadata: ["error": "\(error)"])
            throw .internalError
        }
    }
}
