import GaleJSON

/// The body of an `alerts` channel: the cluster's pending and firing alerts as one `ALERTS`
/// event and `synced`, then one `PENDING`, `FIRING` or `RESOLVED` event per transition. When the
/// channel fell behind the feed's buffer it sends `resync` and a fresh snapshot.
struct AlertChannel: Sendable {
    let feed: AlertFeed
    let cluster: Int64

    func run(_ context: ChannelContext) async -> ChannelEnd {
        let (id, current, changes) = feed.subscribe(cluster: cluster)
        defer { feed.unsubscribe(cluster: cluster, id: id) }
        guard await snapshot(current, context) else { return .cancelled }
        for await change in changes {
            switch change {
            case .transition(let transition):
                var fields: [String: JSONValue] = ["alert": transition.alert.json]
                fields["from"] = transition.from.map { .string($0.rawValue) } ?? .null
                guard await context.event(transition.alert.state.rawValue.uppercased(), fields) else {
                    return .cancelled
                }
            case .overflow:
                context.resync(reason: "alerts changed faster than the channel was read")
                guard await snapshot(feed.current(cluster: cluster), context) else { return .cancelled }
            }
        }
        return Task.isCancelled ? .cancelled : .finished(reason: "the cluster was removed")
    }

    private func snapshot(_ alerts: [AlertStateMachine.Alert], _ context: ChannelContext) async -> Bool {
        guard await context.event("ALERTS", ["alerts": .array(alerts.map(\.json))]) else { return false }
        context.synced(resourceVersion: nil)
        return true
    }
}
