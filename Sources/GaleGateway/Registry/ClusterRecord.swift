public import Foundation
public import GaleJSON

/// A registered cluster. The kubeconfig is held only sealed; see ``KubeconfigSealer``.
public struct ClusterRecord: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var description: String
    /// AES-GCM sealed kubeconfig: nonce, ciphertext and tag.
    public var sealedKubeconfig: Data
    /// `unknown` until probed, then `active` or `unreachable`.
    public var status: String
    /// The apiserver's `gitVersion`, once probed.
    public var version: String
    public var createdAt: Date
    public var updatedAt: Date
    /// Per-cluster switches set by an admin.
    public var settings = ClusterSettings()

    /// The cluster id as it appears in paths, tokens and frames.
    public var key: String { String(id) }

    /// The public view of the record. The kubeconfig is never part of it.
    public var json: JSONValue {
        .object([
            "id": .int(id),
            "name": .string(name),
            "description": .string(description),
            "status": .string(status),
            "version": .string(version),
            "created_at": .string(Self.timestamp(createdAt)),
            "updated_at": .string(Self.timestamp(updatedAt)),
            "impersonate": .bool(settings.impersonate),
            "node_terminal": .bool(settings.nodeTerminal),
        ])
    }

    /// RFC 3339 in UTC with second precision, as Kubernetes writes timestamps.
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
    }
}

/// Per-cluster switches, set when a cluster is registered or updated.
public struct ClusterSettings: Sendable, Hashable {
    /// Calls made for a user carry impersonation headers, so the cluster's RBAC decides what each
    /// user may do. Off for clusters whose kubeconfig identity may not impersonate: every user then
    /// acts as that identity, limited by the gateway's roles only.
    public var impersonate: Bool
    /// Admins may open node terminals (a privileged debug pod on the node). Off unless enabled.
    public var nodeTerminal: Bool

    public init(impersonate: Bool = true, nodeTerminal: Bool = false) {
        self.impersonate = impersonate
        self.nodeTerminal = nodeTerminal
    }
}

/// Fields of a cluster a create or update may set.
public struct ClusterChanges: Sendable {
    public var name: String?
    public var description: String?
    public var sealedKubeconfig: Data?
    public var impersonate: Bool?
    public var nodeTerminal: Bool?

    public init(
        name: String? = nil, description: String? = nil, sealedKubeconfig: Data? = nil,
        impersonate: Bool? = nil, nodeTerminal: Bool? = nil
    ) {
        self.name = name
        self.description = description
        self.sealedKubeconfig = sealedKubeconfig
        self.impersonate = impersonate
        self.nodeTerminal = nodeTerminal
    }

    /// Whether the changes change anything.
    var isEmpty: Bool {
        name == nil && description == nil && sealedKubeconfig == nil && impersonate == nil && nodeTerminal == nil
    }
}
