import Foundation

/// One kind of Kubernetes object: where it lives in the API and whether it is namespaced.
public struct KubeResource: Sendable, Hashable, CustomStringConvertible {
    /// API group; empty for the core group.
    public var group: String
    /// API version within the group (`v1`).
    public var version: String
    /// Plural resource name used in paths (`deployments`).
    public var plural: String
    /// Object kind (`Deployment`).
    public var kind: String
    /// Whether objects live in a namespace.
    public var namespaced: Bool
    /// kubectl short names (`deploy`).
    public var shortNames: [String]
    /// Verbs the server allows, once confirmed by discovery; empty when not yet known.
    public var verbs: [String]

    /// Creates a resource description.
    public init(
        group: String, version: String, plural: String, kind: String, namespaced: Bool,
        shortNames: [String] = [], verbs: [String] = []
    ) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.verbs = verbs
    }

    /// `v1` for the core group, `group/version` otherwise — the objects' `apiVersion`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `/api/v1` or `/apis/GROUP/VERSION`.
    public var groupVersionPath: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// The path of the collection (`namespace` ignored for cluster-scoped resources; `nil` lists all namespaces).
    public func collectionPath(namespace: String?) -> String {
        if namespaced, let namespace {
            return "\(groupVersionPath)/namespaces/\(PathComponent.escape(namespace))/\(plural)"
        }
        return "\(groupVersionPath)/\(plural)"
    }

    /// The path of one object, optionally of one of its subresources (`scale`, `status`, `log`, `eviction`).
    public func objectPath(namespace: String?, name: String, subresource: String? = nil) -> String {
        var path = collectionPath(namespace: namespace) + "/" + PathComponent.escape(name)
        if let subresource { path += "/" + subresource }
        return path
    }

    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }
}

/// Escapes a name for use as one path segment.
enum PathComponent {
    static func escape(_ segment: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#%")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }
}
