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
        ])
    }

    /// RFC 3339 in UTC with second precision, as Kubernetes writes timestamps.
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
    }
}

/// Fields of a cluster a create or update may set.
public struct ClusterChanges: Sendable {
    public var name: String?
    public var description: String?
    public var sealedKubeconfig: Data?

    public init(name: String? = nil, description: String? = nil, sealedKubeconfig: Data? = nil) {
        self.name = name
        self.description = description
        self.sealedKubeconfig = sealedKubeconfig
    }
}
