import GaleJSON

/// The discovery documents: `/version`, `/api`, `/apis`, `/apis/GROUP`, `/api/v1`, `/apis/GROUP/VERSION`.
enum Discovery {
    static func version(_ gitVersion: String) -> JSONValue {
        let parts = gitVersion.dropFirst().split(separator: ".")
        return [
            "major": .string(parts.count > 0 ? String(parts[0]) : "1"),
            "minor": .string(parts.count > 1 ? String(parts[1]) : "32"),
            "gitVersion": .string(gitVersion), "gitCommit": "kubesim", "gitTreeState": "clean",
            "buildDate": "2025-04-22T15:56:33Z", "goVersion": "go1.23.8", "compiler": "gc", "platform": "linux/amd64",
        ]
    }

    static func coreVersions(serverAddress: String) -> JSONValue {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    private static func groupObject(_ group: String) -> JSONValue {
        let versions = ResourceCatalog.groupVersions.filter { $0.group == group }.map { entry -> JSONValue in
            ["groupVersion": .string("\(group)/\(entry.version)"), "version": .string(entry.version)]
        }
        return ["name": .string(group), "versions": .array(versions), "preferredVersion": versions.first ?? .null]
    }

    static func groupList() -> JSONValue {
        var groups: [String] = []
        for entry in ResourceCatalog.groupVersions where !entry.group.isEmpty && !groups.contains(entry.group) {
            groups.append(entry.group)
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups.map(groupObject))]
    }

    static func group(_ name: String) -> JSONValue {
        var object = groupObject(name)
        object["kind"] = "APIGroup"
        object["apiVersion"] = "v1"
        return object
    }

    static func resourceList(group: String, version: String) -> JSONValue {
        var resources: [JSONValue] = []
        for type in ResourceCatalog.all where type.group == group && type.version == version {
            var entry: JSONValue = [
                "name": .string(type.plural), "singularName": .string(type.singular), "namespaced": .bool(type.namespaced),
                "kind": .string(type.kind), "verbs": .array(type.verbs.map { .string($0) }),
            ]
            if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map { .string($0) }) }
            if !type.categories.isEmpty { entry["categories"] = .array(type.categories.map { .string($0) }) }
            resources.append(entry)
            for subresource in type.subresources {
                resources.append(subresourceEntry(type, subresource))
            }
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(resources)]
    }

    private static func subresourceEntry(_ type: ResourceType, _ subresource: String) -> JSONValue {
        var entry: JSONValue = [
            "name": .string("\(type.plural)/\(subresource)"), "singularName": "", "namespaced": .bool(type.namespaced),
            "kind": .string(type.kind), "verbs": ["get", "patch", "update"],
        ]
        switch subresource {
        case "scale":
            entry["group"] = "autoscaling"
            entry["version"] = "v1"
            entry["kind"] = "Scale"
        case "eviction":
            entry["group"] = "policy"
            entry["version"] = "v1"
            entry["kind"] = "Eviction"
            entry["verbs"] = ["create"]
        case "log":
            entry["verbs"] = ["get"]
        case "exec", "attach", "portforward", "proxy":
            entry["kind"] = .string(subresource == "proxy" ? "NodeProxyOptions" : "Pod\(subresource.prefix(1).uppercased() + subresource.dropFirst())Options")
            entry["verbs"] = ["create", "get"]
        case "binding":
            entry["kind"] = "Binding"
            entry["verbs"] = ["create"]
        case "finalize":
            entry["verbs"] = ["update"]
        default:
            break
        }
        return entry
    }
}
