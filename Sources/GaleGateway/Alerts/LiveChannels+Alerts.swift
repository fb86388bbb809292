import GaleProtocol
import KubeClient

extension LiveChannels {
    /// Opens an `alerts` channel on `record`: its current alerts, then their changes. The
    /// subscriber must be allowed what `GET /alerts` needs (the alerts name pods and nodes).
    func subscribeAlerts(_ frame: ClientFrame.Subscribe, record: ClusterRecord, session: LiveSession)
        async throws(APIError)
    {
        guard frame.options.keys.allSatisfy({ $0 == "batch" }) else {
            throw APIError.invalidArgument("the alerts stream takes no options but \"batch\"")
        }
        try await reviews.authorize(
            session.principal, on: record, verb: "list", resource: AlertChannel.pods, namespace: nil)
        let channel = AlertChannel(feed: alertFeed, cluster: record.id)
        let opened = session.open(
            .alerts, cluster: String(record.id), maxChannels: configuration.maxChannelsPerSession,
            batch: try SubscribeOptions(frame).batch, opening: { .subscribed(id: frame.id, channel: $0) }, body: channel.run)
        if opened == nil {
            throw session.refusal(opening: .alerts, maxChannels: configuration.maxChannelsPerSession)
        }
    }
}

extension AlertChannel {
    static let pods = ResourceCatalog.standard.resource(named: "pods")!
}
