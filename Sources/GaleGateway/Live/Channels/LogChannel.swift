import GaleJSON
import GaleProtocol

/// The body of a `logs` channel: the merged lines of its subscription as `LOG` events, read
/// only as fast as the socket takes them (which is what pauses the upstream log streams), and
/// each upstream's state as `status` frames.
struct LogChannel: Sendable {
    let subscription: LogSubscription
    /// The cluster id as `status` frames name it.
    let cluster: String

    func run(_ context: ChannelContext) async -> ChannelEnd {
        let cluster = self.cluster
        do {
            return try await subscription.run(
                onState: { state, reason in context.status(cluster: cluster, state: state.rawValue, reason: reason) }
            ) { lines -> ChannelEnd in
                for try await line in lines {
                    guard await context.event("LOG", line.eventFields) else { return .cancelled }
                }
                return .finished(reason: "the log ended")
            }
        } catch let error as APIError {
            return .failed(error)
        } catch {
            return Task.isCancelled ? .cancelled : .failed(APIError(.clusterUnreachable, "the log stream failed: \(APIError.reason(of: error))"))
        }
    }
}
