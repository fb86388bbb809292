import GaleJSON
import GaleProtocol
import KubeClient
import Logging

extension LiveChannels {
    /// Opens a `topology` channel: the live graph of `namespace` (or of the object `kind`/`name`
    /// in it) on `record`, drawn from the shared watches of the cluster.
    func subscribeTopology(_ frame: ClientFrame.Subscribe, record: ClusterRecord, session: LiveSession)
        async throws(APIError)
    {
        let options = SubscribeOptions(frame)
        for option in frame.options.keys where !["namespace", "kind", "name", "batch"].contains(option) {
            throw APIError.invalidArgument("option \"\(option)\" is not one of topology's: namespace, kind, name")
        }
        let namespace = try options.requiredString("namespace")
        let root = try TopologyOperations.root(
            kind: try options.string("kind"), name: try options.string("name"), namespace: namespace)
        let principal = session.principal
        do {
            try await SpecialOperations.requireNamespace(
                namespace, client: try await connections.client(for: record, as: nil))
        } catch let error as APIError {
            throw error
        } catch let error as KubeError {
            throw APIError(error, verb: .read)
        } catch {
            throw APIError(.clusterUnreachable, "cannot check namespace \(namespace): \(APIError.reason(of: error))")
        }
        var access = TopologyAccess(
            reviews: reviews, principal: principal, record: record, namespace: namespace,
            interval: connections.impersonation.accessReviewTTL)
        access.initialKinds = await access.kinds(keeping: [])
        guard !access.initialKinds.isEmpty else {
            throw APIError.forbidden(
                "the cluster's RBAC lets you list none of the topology's resources in \(namespace)")
        }
        let key = TopologyFeed.Key(cluster: record.id, namespace: namespace)
        let feed: TopologyFeed
        do {
            feed = try await topologies.acquire(
                key, hub: hub, mailboxBounds: (configuration.conflateAfter, configuration.maxPendingChanges),
                logger: logger)
        } catch let error as APIError {
            throw error
        } catch {
            logger.error("cannot open a topology", metadata: ["cluster.id": "\(record.id)", "error": "\(error)"])
            throw APIError(.internalError, "cannot draw the topology of \(namespace)")
        }
        let channel = TopologyChannel(feeds: topologies, feed: feed, root: root?.id, access: access)
        let opened = session.open(
            .topology, cluster: String(record.id), maxChannels: configuration.maxChannelsPerSession,
            batch: try SubscribeOptions(frame).batch, opening: { .subscribed(id: frame.id, channel: $0) }, body: channel.run)
        if opened == nil {
            await topologies.release(key)
            throw session.refusal(opening: .topology, maxChannels: configuration.maxChannelsPerSession)
        }
    }
}
