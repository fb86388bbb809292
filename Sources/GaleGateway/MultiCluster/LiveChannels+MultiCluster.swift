import GaleJSON
import GaleProtocol
import KubeClient
import Logging

extension LiveChannels {
    /// Opens a `watch` channel over several clusters (`cluster` a list like `"1,2"` or `"*"`).
    ///
    /// Every cluster named explicitly must be in the token's scope and registered (else 1005 or
    /// 1002, as for one cluster), and the cluster's RBAC must let the user list and watch the
    /// resource there (1005); `*` covers the registered clusters of the scope whose RBAC allows
    /// it. A cluster that is down does not refuse the subscription: its `status` says so.
    func subscribeMerged(_ frame: ClientFrame.Subscribe, session: LiveSession) async throws(APIError) {
        guard frame.stream == "watch" else {
            throw APIError.invalidArgument("stream \"\(frame.stream)\" takes one cluster; only watch takes several")
        }
        let principal = session.principal
        let selection = try ClusterSelection(frame.cluster)
        let options = SubscribeOptions(frame)
        if try options.string("resourceVersion") != nil {
            throw APIError.invalidArgument("a watch of several clusters cannot resume from a resourceVersion")
        }
        let found: [ClusterSelection.Member]
        do {
            found = try await selection.members(for: principal, registry: registry)
        } catch let error as APIError {
            throw error
        } catch {
            logger.error("cannot read the cluster registry", metadata: ["error": "\(error)"])
            throw APIError.internalError
        }
        var members: [MergedWatchChannel.Member] = []
        for member in found {
            switch member {
            case .refused(_, let error):
                throw error
            case .cluster(let record):
                var (key, _) = try options.watchKey(cluster: record.id)
                key.redactsSecretData =
                    key.resource == "secrets"
                    && SecretRedaction.applies(
                        to: principal, impersonated: connections.identity(of: principal, on: record) != nil)
                do {
                    let access = try await mergedWatchAccess(key, principal: principal, record: record)
                    members.append(MergedWatchChannel.Member(key: key, access: access))
                } catch  where error.code == .forbidden && selection.ids == nil {
                    continue  // `*` means the clusters the user may watch this on
                }
            }
        }
        guard !members.isEmpty else {
            throw APIError.forbidden("no cluster of the selection lets you watch this resource")
        }
        let channel = MergedWatchChannel(
            hub: hub, members: members,
            mailboxBounds: (configuration.conflateAfter, configuration.maxPendingChanges))
        let clusters = members.map { String($0.key.cluster) }.joined(separator: ",")
        let opened = session.open(
            .watch, cluster: clusters, maxChannels: configuration.maxChannelsPerSession,
            batch: try SubscribeOptions(frame).batch, opening: { .subscribed(id: frame.id, channel: $0) }, body: channel.run)
        if opened == nil {
            throw session.refusal(opening: .watch, maxChannels: configuration.maxChannelsPerSession)
        }
    }

    /// Like the single-cluster check: `nil` for clusters that do not impersonate their users,
    /// else the access, checked now.
    private func mergedWatchAccess(_ key: WatchKey, principal: Principal, record: ClusterRecord) async throws(APIError)
        -> WatchAccess?
    {
        guard connections.identity(of: principal, on: record) != nil,
            let resource = ResourceCatalog.standard.resource(named: key.resource)
        else { return nil }
        let access = WatchAccess(
            reviews: reviews, principal: principal, record: record, resource: resource, namespace: key.namespace,
            interval: connections.impersonation.accessReviewTTL)
        do {
            try await access.check()
        } catch  where error.code == .clusterUnreachable {
            // A cluster that is down cannot answer now; the channel asks again while it delivers.
        }
        return access
    }
}
