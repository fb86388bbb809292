import KubeClient

/// How users are represented to the clusters: each upstream call made for a user impersonates
/// them, so the cluster's RBAC decides what they may do, and subscriptions to shared watches are
/// authorized with a SubjectAccessReview.
public struct ImpersonationConfiguration: Sendable, Hashable {
    /// Impersonate users upstream (clusters can still opt out one by one, see ``ClusterSettings``).
    public var enabled: Bool
    /// Prefix of the group naming a token's role: `kubegale:` sends `kubegale:viewer`,
    /// `kubegale:operator` or `kubegale:admin`, which cluster RBAC bindings can name.
    public var roleGroupPrefix: String
    /// How long the answer of an access review is reused before it is asked again.
    public var accessReviewTTL: Duration

    public init(enabled: Bool = true, roleGroupPrefix: String = "kubegale:", accessReviewTTL: Duration = .seconds(30)) {
        self.enabled = enabled
        self.roleGroupPrefix = roleGroupPrefix
        self.accessReviewTTL = accessReviewTTL
    }

    /// Whom calls made for `principal` on a cluster with `settings` are made as; `nil` when they
    /// are made as the cluster's kubeconfig identity.
    func identity(of principal: Principal, on settings: ClusterSettings) -> KubeImpersonation? {
        guard enabled, settings.impersonate else { return nil }
        var groups = principal.groups
        let roleGroup = roleGroupPrefix + principal.role.rawValue
        if !groups.contains(roleGroup) { groups.append(roleGroup) }
        return KubeImpersonation(user: principal.subject, groups: groups)
    }
}
