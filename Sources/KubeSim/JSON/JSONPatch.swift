/// The three patch formats the apiserver accepts.
public enum PatchFormat: String, Sendable {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategicMerge = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"

    /// Recognises a Content-Type header value (parameters ignored).
    public init?(contentType: String) {
        let base = contentType.split(separator: ";").first.map { String($0).trimmingCharacters(in: " ") } ?? ""
        self.init(rawValue: base)
    }
}

/// Applies patches to JSON documents.
public enum JSONPatcher {
    /// Applies `patch` in `format` to `document`.
    public static func apply(_ format: PatchFormat, patch: JSONValue, to document: JSONValue) throws(KubeStatusError) -> JSONValue {
        switch format {
        case .merge: return mergePatch(document, patch)
        case .strategicMerge, .apply: return strategicMerge(document, patch)
        case .json: return try jsonPatch(document, patch)
        }
    }

    /// RFC 7386 JSON merge patch.
    public static func mergePatch(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in patchMembers {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = mergePatch(result[key] ?? .null, value)
            }
        }
        return .object(result)
    }

    /// Merge keys of lists that strategic merge patch merges element-wise instead of replacing.
    /// `ports` is keyed by `containerPort` in a container and by `port` in a Service: see ``mergeKey(_:in:)``.
    static let mergeKeys: [String: String] = [
        "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "volumes": "name",
        "env": "name", "ports": "containerPort", "volumeMounts": "mountPath", "imagePullSecrets": "name",
        "tolerations": "key", "conditions": "type", "finalizers": "", "ownerReferences": "uid",
        "hostAliases": "ip", "topologySpreadConstraints": "topologyKey", "volumeDevices": "devicePath",
    ]

    /// A Kubernetes strategic merge patch: objects merge, lists with a known merge key merge element-wise,
    /// `$patch: delete`/`replace` directives are honoured, other `$` directives are ignored.
    public static func strategicMerge(_ target: JSONValue, _ patch: JSONValue, key: String? = nil) -> JSONValue {
        switch patch {
        case .object(var members):
            if members["$patch"]?.stringValue == "replace" {
                members["$patch"] = nil
                return .object(members.filter { !$0.key.hasPrefix("$") })
            }
            var result = target.objectValue ?? [:]
            if let retain = members["$retainKeys"]?.arrayValue?.compactMap(\.stringValue) {
                result = result.filter { retain.contains($0.key) }
            }
            for (name, value) in members {
                if name.hasPrefix("$deleteFromPrimitiveList/") {
                    let field = String(name.dropFirst("$deleteFromPrimitiveList/".count))
                    let remove = value.arrayValue ?? []
                    result[field] = .array((result[field]?.arrayValue ?? []).filter { !remove.contains($0) })
                    continue
                }
                if name.hasPrefix("$") { continue }
                if value.isNull {
                    result[name] = nil
                } else {
                    result[name] = strategicMerge(result[name] ?? .null, value, key: name)
                }
            }
            return .object(result)
        case .array(let elements):
            guard let key, let mergeKey = mergeKey(key, in: elements + (target.arrayValue ?? [])),
                let existing = target.arrayValue
            else {
                return .array(elements.filter { $0["$patch"] == nil })
            }
            if mergeKey.isEmpty {
                var merged = existing
                for element in elements where !merged.contains(element) { merged.append(element) }
                return .array(merged)
            }
            var merged = existing
            for element in elements {
                let identity = element[mergeKey]
                if element["$patch"]?.stringValue == "delete" {
                    guard identity != nil else { continue }
                    merged.removeAll { $0[mergeKey] == identity }
                } else if let index = merged.firstIndex(where: { identity != nil && $0[mergeKey] == identity }) {
                    merged[index] = strategicMerge(merged[index], element)
                } else {
                    merged.append(strategicMerge(.null, element))
                }
            }
            return .array(merged)
        default:
            return patch
        }
    }

    /// The merge key of list field `field` whose elements (patch and target) are `elements`: a
    /// Service's `ports` carry `port` where a container's carry `containerPort`.
    static func mergeKey(_ field: String, in elements: [JSONValue]) -> String? {
        guard let key = mergeKeys[field] else { return nil }
        if field == "ports", !elements.isEmpty, elements.allSatisfy({ $0["containerPort"] == nil }) {
            return "port"
        }
        return key
    }
}
