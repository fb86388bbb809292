import Foundation
import KubeClient
import Logging

/// Follows the log of one container into a ``LogMerger`` input, across broken connections.
///
/// The apiserver is always asked for timestamps (the request's `timestamps` only changes how
/// lines are shown). When the stream breaks, or ends while following and the container still
/// runs, the follower asks again from the last line's time (`sinceTime`), backing off 0.8 s
/// doubling to 30 s with jitter like client-go, and drops exactly the lines it had delivered
/// (``LogResumeCursor``). A pod that is gone (or replaced by another of the same name) or a
/// container that terminated ends it normally, after the rest of the log is read. A container
/// still waiting to start is waited for quietly. Failures the client must fix (forbidden, bad
/// request) end it with their ``APIError``.
///
/// Memory stays bounded: the follower holds one chunk's lines at a time and waits while its
/// merger queue is full, and while it waits it does not read the HTTP body, so TCP flow control
/// stops the apiserver.
struct ContainerLogFollower: Sendable {
    /// Reconnection and line limits; every field has a default.
    struct Configuration: Sendable {
        /// Delays between reconnections (0.8 s doubling to 30 s, with jitter).
        var backoff = Backoff()
        /// Consecutive failed connections after which the state is `unreachable` (it keeps trying;
        /// without `follow` it gives up with the error).
        var unreachableAfter = 4
        /// Longest line kept; the rest of a longer line is dropped.
        var maxLineBytes = 64 << 10
        /// How often a container that has not started yet is looked at.
        var startPollInterval: Duration = .seconds(2)
    }

    /// How a container stands, looked at after its stream ended or failed.
    enum ContainerPhase: Sendable, Equatable {
        /// The pod was deleted or replaced by another of the same name.
        case gone
        case waiting
        case running
        case terminated
        /// The pod could not be read.
        case unknown
    }

    let target: LogTarget
    let request: LogRequest
    /// The client of the cluster, asked again before every connection (the cluster may have been
    /// re-registered, or be known to be down).
    let connect: @Sendable () async throws -> KubeClient
    let configuration: Configuration
    let logger: Logger

    /// Progress through the log across connections.
    struct Progress: Sendable {
        var cursor = LogResumeCursor()
        /// Bytes left of `limitBytes`, as presented.
        var remainingBytes: Int
        /// Whether connections follow (off for `previous`, and for the last read of a container
        /// that terminated while the stream was broken).
        var follow: Bool
        /// The current connection delivered a new line (it worked: reset the backoff).
        var delivered = false
    }

    /// How one connection ended.
    enum ConnectionEnd: Sendable {
        /// The apiserver ended the log; `fragment` is what followed its last newline.
        case ended(fragment: [UInt8]?)
        /// The connection could not be made or broke.
        case failed(any Error)
        /// The reader is gone, the task was cancelled, or `limitBytes` is reached.
        case stopped
    }

    /// Follows the log until it is over, then finishes `output` (with the failure, if it failed
    /// for good). `report` receives the follower's upstream state when it changes (it starts
    /// `connected`).
    func run(into output: LogMerger.Input, report: @escaping @Sendable (UpstreamState, String?) -> Void) async {
        var progress = Progress(remainingBytes: request.limitBytes ?? .max, follow: request.follow && !request.previous)
        var backoff = configuration.backoff
        var failures = 0
        /// Refusals (400) of a container that runs by the time it is looked at, in a row.
        var refusals = 0
        var reported = UpstreamState.connected
        while !Task.isCancelled {
            progress.delivered = false
            let end = await read(&progress, into: output) {
                refusals = 0
                if reported != .connected {
                    reported = .connected
                    report(.connected, nil)
                    logger.info("log stream reconnected", metadata: ["target": "\(target)"])
                }
            }
            if progress.delivered {
                backoff.reset()
                failures = 0
            }
            let reason: String
            switch end {
            case .stopped:
                return output.finish()
            case .ended(let fragment):
                let phase = progress.follow ? await phase() : .terminated
                guard phase != .gone, phase != .terminated else {
                    // The log is complete: a last line without a newline is still a line.
                    if let fragment { _ = await deliver(fragment, &progress, to: output) }
                    return output.finish()
                }
                reason = "log stream of \(target) ended"
            case .failed(let error):
                let phase = await phase()
                if phase == .gone { return output.finish() }
                if Self.isPermanent(error) {
                    // "Waiting to start" answers a container that has not started yet (or is restarting): wait for
                    // it without alarming anyone. One that started meanwhile is asked again, a few times.
                    if Self.isRefusal(error), progress.follow, phase == .waiting || (phase == .running && refusals < 3)
                    {
                        if phase == .running { refusals += 1 }
                        try? await Task.sleep(for: configuration.startPollInterval)
                        continue
                    }
                    return output.finish(failure: Self.apiError(error))
                }
                if phase == .terminated { progress.follow = false }
                if !progress.follow, failures + 1 >= configuration.unreachableAfter {
                    return output.finish(failure: Self.apiError(error))
                }
                reason = "log stream of \(target) failed: \(Self.describe(error))"
            }
            failures += 1
            let state: UpstreamState = failures >= configuration.unreachableAfter ? .unreachable : .reconnecting
            if state != reported {
                reported = state
                report(state, reason)
            }
            let delay = backoff.next()
            logger.debug(
                "log stream reconnecting",
                metadata: [
                    "target": "\(target)", "reason": "\(reason)", "delay": "\(delay)", "failures": "\(failures)",
                ])
            do {
                try await Task.sleep(for: delay)
            } catch {
                return output.finish()
            }
        }
        output.finish()
    }
}
