import Synchronization

/// Decides requests with RBAC over the Roles, ClusterRoles and bindings in the store, like the apiserver's
/// authorizer chain: members of `system:masters` may do anything, everyone else what their bindings grant.
///
/// The bindings are indexed by subject; the index is rebuilt only after an RBAC object changed.
public final class RBACAuthorizer: Sendable {
    /// The outcome for one request.
    public struct Decision: Sendable, Hashable {
        /// Whether the request may proceed.
        public let allowed: Bool
        /// Which binding allowed it (`RBAC: allowed by ...`), empty otherwise.
        public let reason: String
    }

    static let rbacTypes = [
        ResourceCatalog.roles, ResourceCatalog.clusterRoles, ResourceCatalog.roleBindings,
        ResourceCatalog.clusterRoleBindings,
    ]

    let store: ObjectStore
    private let cache = Mutex<(revision: Int, index: RBACIndex)?>(nil)

    init(store: ObjectStore) { self.store = store }

    /// Decides one request.
    public func authorize(_ request: RequestAttributes) -> Decision {
        if request.user.groups.contains(UserInfo.mastersGroup) { return Decision(allowed: true, reason: "") }
        guard let grant = index().allowingGrant(request) else { return Decision(allowed: false, reason: "") }
        return Decision(allowed: true, reason: "RBAC: allowed by \(grant.source)")
    }

    /// The rules a user holds in a namespace (for self subject rules reviews).
    public func rules(for user: UserInfo, namespace: String) -> [PolicyRule] {
        if user.groups.contains(UserInfo.mastersGroup) {
            return [
                PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]),
                PolicyRule(verbs: ["*"], nonResourceURLs: ["*"]),
            ]
        }
        return index().rules(for: user, namespace: namespace)
    }

    /// The current index, rebuilt when an RBAC object changed since it was built.
    func index() -> RBACIndex {
        let revision = store.lastChange(of: Self.rbacTypes)
        if let cached = cache.withLock({ $0 }), cached.revision == revision { return cached.index }
        // Built outside the lock; a change racing with the build leaves an older revision beside newer data,
        // which only causes one more rebuild.
        let index = RBACIndex(
            roles: store.list(ResourceCatalog.roles).items,
            clusterRoles: store.list(ResourceCatalog.clusterRoles).items,
            roleBindings: store.list(ResourceCatalog.roleBindings).items,
            clusterRoleBindings: store.list(ResourceCatalog.clusterRoleBindings).items)
        cache.withLock { $0 = (revision, index) }
        return index
    }
}

extension ObjectStore {
    /// The resourceVersion of the latest change to any object of these resources (0 when none changed).
    func lastChange(of types: [ResourceType]) -> Int {
        state.withLock { state in types.map { state.lastChange[$0] ?? 0 }.max() ?? 0 }
    }
}
