public import Foundation

/// The authenticated caller of an operation or owner of a socket, read from a verified JWT.
public struct Principal: Sendable, Hashable {
    /// Which clusters a principal may see.
    public enum ClusterScope: Sendable, Hashable {
        case all
        case only(Set<String>)

        /// Reads the `clusters` claim: `["*"]` means every cluster.
        public init(claim: [String]) {
            self = claim.contains("*") ? .all : .only(Set(claim))
        }

        public var claim: [String] {
            switch self {
            case .all: ["*"]
            case .only(let ids): ids.sorted()
            }
        }
    }

    public var subject: String
    public var role: Role
    public var clusters: ClusterScope
    public var expiresAt: Date
    /// Groups the token names (its groups claim); sent upstream as `Impersonate-Group`s beside the role's group.
    public var groups: [String]

    public init(subject: String, role: Role, clusters: ClusterScope, expiresAt: Date, groups: [String] = []) {
        self.subject = subject
        self.role = role
        self.clusters = clusters
        self.expiresAt = expiresAt
        self.groups = groups
    }

    /// Whether the cluster with this id is inside the principal's scope.
    public func canAccess(cluster id: String) -> Bool {
        switch clusters {
        case .all: true
        case .only(let ids): ids.contains(id)
        }
    }

    /// Throws 1005 unless the cluster is in scope. Asked before any lookup, so the answer for a
    /// foreign cluster does not reveal whether it exists.
    public func requireAccess(cluster id: String) throws(APIError) {
        guard canAccess(cluster: id) else { throw .forbidden("cluster \(id) is outside your scope") }
    }

    /// Throws 1005 unless the principal's role is at least `role`.
    public func requireRole(_ role: Role, for action: String) throws(APIError) {
        guard self.role >= role else { throw .forbidden("role \(self.role) may not \(action); \(role) required") }
    }
}
