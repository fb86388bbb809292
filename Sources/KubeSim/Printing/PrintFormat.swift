import Foundation
import GaleJSON

/// Cell formatting shared by the printers, following the apiserver's helpers (`labels.FormatLabels`,
/// `metav1.FormatLabelSelector`, the container layout of wide output).
enum PrintFormat {
    /// `k1=v1,k2=v2` sorted by key, `<none>` when empty.
    static func labels(_ map: JSONValue?) -> String {
        let pairs = (map?.stringMap ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return pairs.isEmpty ? "<none>" : pairs.joined(separator: ",")
    }

    /// A `LabelSelector` (`matchLabels`, `matchExpressions`) as text, requirements sorted by key;
    /// `emptyText` when it selects everything (`<none>` for most printers, empty for deployments).
    static func selector(_ selector: JSONValue?, emptyText: String = "<none>") -> String {
        guard let selector, !selector.isNull else { return "<none>" }
        var requirements: [(key: String, text: String)] = []
        for (key, value) in selector["matchLabels"]?.stringMap ?? [:] {
            requirements.append((key, "\(key)=\(value)"))
        }
        for expression in selector["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue).sorted().joined(
                separator: ",")
            switch expression["operator"]?.stringValue ?? "" {
            case "In": requirements.append((key, "\(key) in (\(values))"))
            case "NotIn": requirements.append((key, "\(key) notin (\(values))"))
            case "Exists": requirements.append((key, key))
            case "DoesNotExist": requirements.append((key, "!\(key)"))
            default: return "<error>"
            }
        }
        guard !requirements.isEmpty else { return emptyText }
        return requirements.sorted { $0.key < $1.key }.map(\.text).joined(separator: ",")
    }

    /// Container names and images of a pod spec, each comma-joined, as wide output lays them out.
    static func containers(_ podSpec: JSONValue?) -> (names: JSONValue, images: JSONValue) {
        let containers = podSpec?["containers"]?.arrayValue ?? []
        return (
            .string(containers.map { $0["name"]?.stringValue ?? "" }.joined(separator: ",")),
            .string(containers.map { $0["image"]?.stringValue ?? "" }.joined(separator: ","))
        )
    }

    /// The age cell of an object.
    static func age(_ object: JSONValue, now: Date) -> JSONValue {
        .string(HumanDuration.since(object[path: ["metadata", "creationTimestamp"]], now: now))
    }

    /// `metadata.name`.
    static func name(_ object: JSONValue) -> JSONValue {
        .string(object[path: ["metadata", "name"]]?.stringValue ?? "")
    }

    /// An integer field, 0 when absent (like an unset Go `int32`).
    static func int(_ value: JSONValue?) -> Int { value?.integer ?? 0 }

    /// An integer cell from a field, 0 when absent.
    static func intCell(_ value: JSONValue?) -> JSONValue { .int(Int64(int(value))) }

    /// A string field, empty when absent.
    static func string(_ value: JSONValue?) -> String { value?.stringValue ?? "" }

    /// `values` joined with commas, the first `limit` of them and `+ N more...` after.
    static func limited(_ values: [String], limit: Int = 3, empty: String) -> String {
        guard !values.isEmpty else { return empty }
        let shown = values.prefix(limit).joined(separator: ",")
        return values.count > limit ? "\(shown) + \(values.count - limit) more..." : shown
    }

    /// Whether the object's status lists a condition of `type` with status `True`.
    static func hasCondition(_ object: JSONValue, _ type: String) -> Bool {
        (object[path: ["status", "conditions"]]?.arrayValue ?? []).first { $0["type"]?.stringValue == type }?["status"]?
            .stringValue == "True"
    }

    /// Access modes in their short forms (`RWO,ROX,RWX,RWOP`), in that order.
    static func accessModes(_ modes: JSONValue?) -> String {
        let present = Set((modes?.arrayValue ?? []).compactMap(\.stringValue))
        return [
            ("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP"),
        ]
        .filter { present.contains($0.0) }.map(\.1).joined(separator: ",")
    }
}
