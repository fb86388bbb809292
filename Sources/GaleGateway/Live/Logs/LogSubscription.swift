import Foundation
import KubeClient
import Logging

/// A logs subscription whose pods and containers are resolved, ready to run.
///
/// Made by ``LogStreams/subscribe(cluster:options:principal:logger:)``; ``run(onState:_:)``
/// follows every container log and hands the merged lines to the caller.
struct LogSubscription: Sendable {
    /// What the client asked for.
    let request: LogRequest
    /// The container logs found when the subscription was opened.
    let targets: [LogTarget]
    let configuration: LogStreams.Configuration
    /// The cluster's client, asked again before every upstream connection.
    let connect: @Sendable () async throws -> KubeClient
    let logger: Logger

    /// Whether pods that appear later are followed too: a selector or workload, followed.
    var discoversPods: Bool {
        if case .named = request.pods { return false }
        return request.follow && !request.previous
    }

    /// Follows the logs and runs `body` with their lines merged in time order; returns what
    /// `body` returns. When `body` returns or throws, every upstream stream is closed.
    ///
    /// The sequence ends when every log has ended (never, while new pods may still appear);
    /// it throws the ``APIError`` of a log that failed for good once the others have ended.
    /// `body`'s reading pace is the backpressure: while it does not read, upstreams are not read.
    ///
    /// `onState` is told when the subscription's upstream state changes (it starts `connected`):
    /// `reconnecting` or `unreachable` with a reason, then `connected` again. It is called
    /// synchronously from the followers and must not block.
    func run<T>(
        onState: @escaping @Sendable (UpstreamState, String?) -> Void,
        _ body: (LogLineSequence) async throws -> T
    ) async throws -> T {
        let merger = LogMerger(configuration: configuration.merge, sources: targets.count, sealed: !discoversPods)
        let states = LogStateReporter(onState: onState)
        let since = Date()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            defer { merger.close() }
            for (index, target) in targets.enumerated() {
                states.start(index)
                group.addTask { await follow(target, request: request, into: merger.input(index), states: states) }
            }
            if discoversPods {
                let discovery = LogPodDiscovery(subscription: self, merger: merger, states: states, since: since)
                let known = Set(targets.compactMap(\.podUID))
                group.addTask { await discovery.run(known: known) }
            }
            let result = try await body(merger.lines)
            merger.close()
            group.cancelAll()
            return result
        }
    }

    /// Runs the follower of one container log (the caller has called `states.start`).
    func follow(_ target: LogTarget, request: LogRequest, into input: LogMerger.Input, states: LogStateReporter) async {
        defer { states.end(input.source) }
        let follower = ContainerLogFollower(
            target: target, request: request, connect: connect, configuration: configuration.follower, logger: logger)
        await follower.run(into: input) { state, reason in states.update(input.source, state, reason: reason) }
    }
}
