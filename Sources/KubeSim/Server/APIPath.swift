import Foundation

/// A parsed Kubernetes REST path.
struct APIPath: Sendable, Equatable {
    enum Target: Sendable, Equatable {
        /// `/api`
        case coreVersions
        /// `/apis`
        case groupList
        /// `/apis/GROUP`
        case group(String)
        /// `/api/v1`, `/apis/GROUP/VERSION`
        case resourceList(group: String, version: String)
        /// A collection, an object or a subresource of an object.
        case resource(ResourceType, namespace: String?, name: String?, subresource: String?)
    }

    let target: Target

    /// Parses a URL path; `nil` when it does not name anything the simulator serves.
    init?(_ path: String) {
        var segments = path.split(separator: "/").map(String.init)
        guard let root = segments.first else { return nil }
        segments.removeFirst()
        let group: String
        let version: String
        switch root {
        case "api":
            if segments.isEmpty {
                target = .coreVersions
                return
            }
            group = ""
            version = segments.removeFirst()
        case "apis":
            if segments.isEmpty {
                target = .groupList
                return
            }
            group = segments.removeFirst()
            if segments.isEmpty {
                guard ResourceCatalog.all.contains(where: { $0.group == group }) else { return nil }
                target = .group(group)
                return
            }
            version = segments.removeFirst()
        default:
            return nil
        }
        guard ResourceCatalog.all.contains(where: { $0.group == group && $0.version == version }) else { return nil }
        if segments.isEmpty {
            target = .resourceList(group: group, version: version)
            return
        }
        var namespace: String?
        if segments.count >= 3, segments[0] == "namespaces",
            let type = ResourceCatalog.find(group: group, version: version, plural: segments[2]), type.namespaced
        {
            namespace = segments[1]
            segments.removeFirst(2)
        }
        guard let type = ResourceCatalog.find(group: group, version: version, plural: segments[0]), segments.count <= 3 else {
            return nil
        }
        if type.namespaced == false, namespace != nil { return nil }
        target = .resource(
            type, namespace: namespace, name: segments.count > 1 ? segments[1] : nil, subresource: segments.count > 2 ? segments[2] : nil)
    }
}

/// Query parameters with repeated keys (`command=a&command=b`), decoded the way Go's `url.ParseQuery` does.
struct QueryParameters: Sendable {
    private var values: [String: [String]] = [:]

    init(_ query: String?) {
        guard let query else { return }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(String(parts[0]))
            let value = parts.count > 1 ? Self.decode(String(parts[1])) : ""
            values[key, default: []].append(value)
        }
    }

    static func decode(_ text: String) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    subscript(key: String) -> String? { values[key]?.first }

    func all(_ key: String) -> [String] { values[key] ?? [] }

    func bool(_ key: String) -> Bool {
        guard let value = self[key] else { return false }
        return value == "1" || value.lowercased() == "true" || value.isEmpty
    }

    func int(_ key: String) -> Int? { self[key].flatMap { Int($0) } }
}
