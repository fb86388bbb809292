import Foundation
import GaleJSON

/// A request for server-side printing, as `kubectl get` makes it
/// (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`),
/// and the `meta.k8s.io` Table objects that answer it: column definitions from the kind's ``TablePrinter``, one row
/// per object with its cells and, by default, the object's metadata as a `PartialObjectMetadata`.
struct TableRequest: Sendable {
    /// What each row carries besides its cells (the `includeObject` query parameter).
    enum IncludeObject: String, Sendable {
        /// `object: null`.
        case none = "None"
        /// The object's metadata as a `PartialObjectMetadata` (the default): what kubectl needs for the
        /// NAMESPACE column of `-A`, `--show-labels` and `-L`.
        case metadata = "Metadata"
        /// The whole object (kubectl asks for it with `--sort-by`).
        case object = "Object"
    }

    /// `meta.k8s.io/v1` or `meta.k8s.io/v1beta1`, whichever the client listed first.
    let apiVersion: String
    /// What rows carry.
    let includeObject: IncludeObject

    init(apiVersion: String = "meta.k8s.io/v1", includeObject: IncludeObject = .metadata) {
        self.apiVersion = apiVersion
        self.includeObject = includeObject
    }

    /// Negotiates from the `Accept` header. `nil` when the client's first choice is not a Table (plain JSON, or
    /// another encoding that the rest of the handler serves); 406 Not Acceptable when every type it lists is a
    /// transformation KubeSim does not serve (`as=PartialObjectMetadataList`, a Table of another group or version);
    /// 400 for an unknown `includeObject`.
    init?(accept: String?, query: QueryParameters) throws(KubeStatusError) {
        guard let apiVersion = try Self.negotiate(accept ?? "") else { return nil }
        let include = query["includeObject"] ?? ""
        let requested: IncludeObject? = include.isEmpty ? .metadata : IncludeObject(rawValue: include)
        guard let includeObject = requested else {
            throw .badRequest("unrecognized includeObject value: \"\(include)\"")
        }
        self.init(apiVersion: apiVersion, includeObject: includeObject)
    }

    /// The Table version the `Accept` header asks for first, `nil` when its first choice is a plain media type.
    static func negotiate(_ accept: String) throws(KubeStatusError) -> String? {
        let entries = accept.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        guard !entries.isEmpty else { return nil }
        for entry in entries {
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let mediaType = parts[0].lowercased()
            var parameters: [String: String] = [:]
            for part in parts.dropFirst() {
                let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2 else { continue }
                parameters[pair[0].lowercased()] = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
            guard let transform = parameters["as"] else { return nil }
            if transform == "Table", parameters["g"] == "meta.k8s.io", let version = parameters["v"],
                version == "v1" || version == "v1beta1",
                ["application/json", "application/*", "*/*"].contains(mediaType)
            {
                return "meta.k8s.io/\(version)"
            }
        }
        throw KubeStatusError(
            code: 406, reason: "NotAcceptable",
            message:
                "only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io"
        )
    }

    /// A Table of `objects`; `metadata` is the list's (`resourceVersion`, `continue`, `remainingItemCount`).
    /// Without `columns` the column definitions are left out, as the apiserver does after a watch's first event.
    func table(
        _ type: ResourceType, objects: [JSONValue], metadata: JSONValue, columns: Bool = true, now: Date = Date()
    )
        -> JSONValue
    {
        let printer = TablePrinter.forResource(type)
        return [
            "kind": "Table", "apiVersion": .string(apiVersion), "metadata": metadata,
            "columnDefinitions": columns ? .array(printer.columns.map(\.json)) : .null,
            "rows": .array(objects.map { row($0, printer: printer, now: now) }),
        ]
    }

    /// A Table of one object, as a GET of that object answers.
    func table(_ type: ResourceType, object: JSONValue, columns: Bool = true, now: Date = Date()) -> JSONValue {
        table(
            type, objects: [object],
            metadata: ["resourceVersion": object[path: ["metadata", "resourceVersion"]] ?? ""],
            columns: columns, now: now)
    }

    private func row(_ object: JSONValue, printer: TablePrinter, now: Date) -> JSONValue {
        var row: JSONValue = ["cells": .array(printer.cells(object, now: now))]
        if let conditions = printer.conditions(object) { row["conditions"] = conditions }
        switch includeObject {
        case .none:
            row["object"] = .null
        case .metadata:
            row["object"] = [
                "kind": "PartialObjectMetadata", "apiVersion": .string(apiVersion),
                "metadata": object["metadata"] ?? .object([:]),
            ]
        case .object:
            row["object"] = object
        }
        return row
    }

    /// The watch line for `message` on a watch that asked for tables: an event's object becomes a Table of one
    /// row (column definitions only when `columns`, i.e. on the first event), a bookmark a Table without rows
    /// that carries the resourceVersion, and an error stays a Status.
    func watchEvent(_ message: WatchMessage, type: ResourceType, columns: Bool, now: Date = Date()) -> JSONValue {
        switch message {
        case .event(let eventType, let object):
            return ["type": .string(eventType), "object": table(type, object: object, columns: columns, now: now)]
        case .bookmark(_, _, let resourceVersion):
            return [
                "type": "BOOKMARK",
                "object": [
                    "kind": "Table", "apiVersion": .string(apiVersion),
                    "metadata": ["resourceVersion": .string(String(resourceVersion))], "columnDefinitions": .null,
                    "rows": [],
                ],
            ]
        case .error:
            return message.json
        }
    }
}
