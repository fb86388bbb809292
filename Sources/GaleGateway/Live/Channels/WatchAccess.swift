import GaleProtocol
import KubeClient

/// Whether a subscriber may read a shared watch, asked of the cluster for its user: `list` and
/// `watch` on the resource in the namespace. Asked when the channel opens and again, while it
/// delivers, once the last answer is older than the review TTL — revoked access ends the channel
/// with 1005 before anything more is sent.
struct WatchAccess: Sendable {
    let reviews: AccessReviews
    let principal: Principal
    let record: ClusterRecord
    let resource: KubeResource
    let namespace: String?
    /// How long an answer holds before the channel asks again.
    let interval: Duration

    /// Throws 1005 unless the user may list and watch the objects.
    func check() async throws(APIError) {
        for verb in ["list", "watch"] {
            try await reviews.authorize(principal, on: record, verb: verb, resource: resource, namespace: namespace)
        }
    }
}

/// When a ``WatchAccess`` is asked again; kept by the one task that relays a channel.
struct WatchAccessClock {
    private let access: WatchAccess?
    private var due: ContinuousClock.Instant

    init(_ access: WatchAccess?, checkedAt now: ContinuousClock.Instant = .now) {
        self.access = access
        self.due = now.advanced(by: access?.interval ?? .zero)
    }

    /// `nil` while access holds, the refusal once it is revoked. Only a denial ends a channel:
    /// when the cluster cannot answer (it is down, or hung), the last answer stands and the
    /// question is asked again after the interval — the watch reports the outage itself.
    mutating func refusal(now: ContinuousClock.Instant = .now) async -> APIError? {
        guard let access, now >= due else { return nil }
        due = now.advanced(by: access.interval)
        do {
            try await access.check()
        } catch where error.code == .forbidden {
            return error
        } catch {
            return nil
        }
        return nil
    }
}
