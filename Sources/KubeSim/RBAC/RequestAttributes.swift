import Foundation

/// What a request asks to do, in the terms authorizers decide on: the apiserver's `authorizer.Attributes`.
public struct RequestAttributes: Sendable, Hashable {
    /// Who asks.
    public var user: UserInfo
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, `impersonate`, ...;
    /// the lower-case HTTP method for non-resource requests.
    public var verb: String
    /// Whether the request is for an API resource (else for a path such as `/version`).
    public var isResourceRequest: Bool
    /// URL path of a non-resource request.
    public var path: String
    /// API group, empty for the core group.
    public var apiGroup: String
    /// API version.
    public var apiVersion: String
    /// Resource (`pods`).
    public var resource: String
    /// Subresource (`log`, `exec`, `scale`), or empty.
    public var subresource: String
    /// Namespace, empty for cluster-scoped requests.
    public var namespace: String
    /// Object name, empty for collections.
    public var name: String

    /// A resource request.
    public init(
        user: UserInfo, verb: String, apiGroup: String = "", apiVersion: String = "v1", resource: String,
        subresource: String = "", namespace: String = "", name: String = ""
    ) {
        self.user = user
        self.verb = verb
        self.isResourceRequest = true
        self.path = ""
        self.apiGroup = apiGroup
        self.apiVersion = apiVersion
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
    }

    /// A non-resource request (`/version`, `/apis`, `/healthz`).
    public init(user: UserInfo, verb: String, path: String) {
        self.user = user
        self.verb = verb
        self.isResourceRequest = false
        self.path = path
        self.apiGroup = ""
        self.apiVersion = ""
        self.resource = ""
        self.subresource = ""
        self.namespace = ""
        self.name = ""
    }

    /// `pods` or `pods/log`: the resource as rules name it.
    public var qualifiedResource: String { subresource.isEmpty ? resource : "\(resource)/\(subresource)" }
}

extension RequestAttributes {
    /// Subresources of namespaces (`/api/v1/namespaces/NAME/status`), which are not namespaced paths.
    private static let namespaceSubresources: Set<String> = ["status", "finalize"]

    /// Derives the attributes the way the apiserver's request info does: `/api/v1/...` and `/apis/GROUP/VERSION/...`
    /// are resource requests when they name at least a resource, the verb comes from the method (a GET of a
    /// collection is `list`, or `watch` with `watch=true`; a DELETE of a collection is `deletecollection`), a
    /// `/watch/` segment makes it `watch`, `fieldSelector=metadata.name=X` names the object, and a namespace
    /// object's own name is its namespace.
    init(method: String, path: String, query: QueryParameters, user: UserInfo) {
        var parts = path.split(separator: "/").map(String.init)
        let nonResource = RequestAttributes(user: user, verb: method.lowercased(), path: path)
        guard parts.count >= 3, parts[0] == "api" || parts[0] == "apis" else {
            self = nonResource
            return
        }
        var group = ""
        if parts[0] == "apis" {
            guard parts.count >= 4 else {
                self = nonResource
                return
            }
            group = parts[1]
            parts.removeFirst(2)
        } else {
            parts.removeFirst()
        }
        let version = parts.removeFirst()
        var verb: String
        if parts.first == "watch", parts.count >= 2 {
            verb = "watch"
            parts.removeFirst()
        } else {
            switch method.uppercased() {
            case "POST": verb = "create"
            case "GET", "HEAD": verb = "get"
            case "PUT": verb = "update"
            case "PATCH": verb = "patch"
            case "DELETE": verb = "delete"
            default: verb = ""
            }
        }
        var namespace = ""
        if parts.first == "namespaces", parts.count > 1 {
            namespace = parts[1]
            if parts.count > 2, !Self.namespaceSubresources.contains(parts[2]) { parts.removeFirst(2) }
        }
        self.init(
            user: user, verb: verb, apiGroup: group, apiVersion: version, resource: parts.first ?? "",
            namespace: namespace)
        if parts.count >= 2 { name = parts[1] }
        if parts.count >= 3 { subresource = parts[2] }
        if name.isEmpty, verb == "get" {
            // As the handler decides: `watch=true`, `watch=1` or a bare `watch` opens a watch.
            let watching = query["watch"] != nil && query.bool("watch")
            self.verb = watching ? "watch" : "list"
            if let selected = Self.exactName(query["fieldSelector"]) { name = selected }
        }
        if name.isEmpty, self.verb == "delete" { self.verb = "deletecollection" }
    }

    /// The name a field selector requires exactly (`metadata.name=web` or `==`), if it does.
    static func exactName(_ selector: String?) -> String? {
        guard let selector else { return nil }
        var found: String?
        for term in selector.split(separator: ",") {
            let term = term.trimmingCharacters(in: .whitespaces)
            guard term.hasPrefix("metadata.name") else { continue }
            let rest = term.dropFirst("metadata.name".count)
            let value: Substring
            if rest.hasPrefix("==") {
                value = rest.dropFirst(2)
            } else if rest.hasPrefix("=") {
                value = rest.dropFirst()
            } else {
                return nil
            }
            guard found == nil || found == String(value) else { return nil }
            found = String(value)
        }
        guard let found, !found.isEmpty, found != ".", found != "..", !found.contains("/"), !found.contains("%") else {
            return nil
        }
        return found
    }
}
