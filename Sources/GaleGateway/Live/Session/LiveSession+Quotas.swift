import GaleProtocol

extension LiveSession {
    /// The quota slots a channel of `kind` takes for the session's subject: one channel, and a
    /// log stream or an exec session for those kinds. `nil` when the subject is at a quota.
    func leases(for kind: ChannelKind) -> [SubjectQuotas.Lease]? {
        guard let quotas else { return [] }
        var resources: [SubjectQuotas.Resource] = [.channel]
        switch kind {
        case .logs: resources.append(.logStream)
        case .exec: resources.append(.exec)
        default: break
        }
        var leases: [SubjectQuotas.Lease] = []
        for resource in resources {
            guard case .success(let lease) = quotas.acquire(resource, subject: subject) else {
                for lease in leases { lease.release() }
                return nil
            }
            leases.append(lease)
        }
        return leases
    }

    /// Why a channel of `kind` could not be opened (``open(_:cluster:maxChannels:opening:body:)``
    /// returned `nil`): the subject's quota it is at, or else the session's channel limit. Code 1001.
    func refusal(opening kind: ChannelKind, maxChannels: Int) -> APIError {
        if let quotas {
            var resources: [SubjectQuotas.Resource] = [.channel]
            if kind == .logs { resources.append(.logStream) }
            if kind == .exec { resources.append(.exec) }
            for resource in resources {
                let limit = quotas.limit(of: resource)
                if quotas.held(resource, subject: subject) >= limit {
                    return SubjectQuotas.Refusal.subject(resource, limit: limit).apiError
                }
            }
        }
        return .invalidArgument("too many open channels (at most \(maxChannels) per session)")
    }
}
