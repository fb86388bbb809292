import GaleJSON

extension JSONValue {
    /// This document with `patch` in `format` applied.
    public func patched(_ format: PatchFormat, with patch: JSONValue) throws(KubeStatusError) -> JSONValue {
        switch format {
        case .merge: return mergePatched(with: patch)
        case .strategicMerge, .apply: return strategicMerged(with: patch)
        case .json: return try jsonPatched(with: patch)
        }
    }

    /// This document with the RFC 7386 JSON merge patch `patch` applied.
    public func mergePatched(with patch: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = objectValue ?? [:]
        for (key, value) in patchMembers {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = (result[key] ?? .null).mergePatched(with: value)
            }
        }
        return .object(result)
    }

    /// Merge keys of lists that strategic merge patch merges element-wise instead of replacing.
    /// `ports` is keyed by `containerPort` in a container and by `port` in a Service: see ``mergeKey(_:in:)``.
    static let strategicMergeKeys: [String: String] = [
        "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "volumes": "name",
        "env": "name", "ports": "containerPort", "volumeMounts": "mountPath", "imagePullSecrets": "name",
        "tolerations": "key", "conditions": "type", "finalizers": "", "ownerReferences": "uid",
        "hostAliases": "ip", "topologySpreadConstraints": "topologyKey", "volumeDevices": "devicePath",
    ]

    /// This document with a Kubernetes strategic merge patch applied: objects merge, lists with a known
    /// merge key merge element-wise, `$patch: delete`/`replace` directives are honoured, other `$`
    /// directives are ignored. `field` names the member this document is the value of.
    public func strategicMerged(with patch: JSONValue, field: String? = nil) -> JSONValue {
        switch patch {
        case .object(var members):
            if members["$patch"]?.stringValue == "replace" {
                members["$patch"] = nil
                return .object(members.filter { !$0.key.hasPrefix("$") })
            }
            var result = objectValue ?? [:]
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
                    result[name] = (result[name] ?? .null).strategicMerged(with: value, field: name)
                }
            }
            return .object(result)
        case .array(let elements):
            guard let field, let mergeKey = Self.mergeKey(field, in: elements + (arrayValue ?? [])),
                let existing = arrayValue
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
                    merged[index] = merged[index].strategicMerged(with: element)
                } else {
                    merged.append(JSONValue.null.strategicMerged(with: element))
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
        guard let key = strategicMergeKeys[field] else { return nil }
        if field == "ports", !elements.isEmpty, elements.allSatisfy({ $0["containerPort"] == nil }) {
            return "port"
        }
        return key
    }
}
