import Foundation
import GaleJSON

/// The body of a `metrics` channel: `SAMPLE` events from the shared feed of its key.
struct MetricsChannel: Sendable {
    let feeds: MetricsFeeds
    let key: MetricsFeeds.Key
    let subscription: UInt64
    let items: AsyncStream<MetricsFeeds.Item>

    func run(_ context: ChannelContext) async -> ChannelEnd {
        defer { Task { [feeds, key, subscription] in await feeds.unsubscribe(key, id: subscription) } }
        for await item in items {
            switch item {
            case .sample(let time, let value):
                let fields: [String: JSONValue] = [
                    "time": .string(ClusterRecord.timestamp(time)), "scope": .string(key.scope.rawValue),
                    "sample": value,
                ]
                guard await context.event("SAMPLE", fields) else { return .cancelled }
            case .status(let state, let reason):
                context.status(cluster: String(key.cluster), state: state.rawValue, reason: reason)
            }
        }
        return .cancelled
    }
}
