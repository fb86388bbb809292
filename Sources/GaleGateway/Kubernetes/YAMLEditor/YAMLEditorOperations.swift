import GaleJSON
import GaleProtocol
import HTTPTypes
import KubeClient

/// The YAML editor's operations on one object given as YAML text (`content`): a server-side
/// dry run that places refused fields at their line and column, a unified diff against the live
/// object, and an apply of the edit to the version it started from. The object's `apiVersion`
/// and `kind` choose the resource family; `namespace` as for the resource operations.
struct YAMLEditorOperations: Sendable {
    let resources: ResourceOperations

    private var access: ClusterAccess { resources.access }

    var operations: [Operation] {
        [
            Operation(.post, "/yaml/dry-run", role: .operator, action: "validate YAML edits") { input in
                try await dryRun(input)
            },
            Operation(.post, "/yaml/diff", role: .operator, action: "diff YAML edits") { input in
                try await diff(input)
            },
            Operation(.put, "/yaml/apply", role: .operator, action: "apply YAML edits") { input in
                try await apply(input)
            },
        ]
    }

    /// The edited object, as sent and as parsed.
    struct Edit: Sendable {
        var family: ResourceFamily
        var namespace: String?
        var name: String
        var object: JSONValue
        var text: String
        var resource: KubeResource { family.resource }
        /// `metadata.resourceVersion` of the edit: the version it started from.
        var baseVersion: String? {
            object["metadata"]?["resourceVersion"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    /// Parses `content` (YAML text, bounded by ``YAMLBudget``) into an ``Edit``.
    func edit(_ input: OperationInput) throws -> Edit {
        guard case .string(let text)? = input.value("content") else {
            throw APIError.invalidArgument("parameter \"content\" must be the YAML text of one object")
        }
        var object: JSONValue
        do {
            object = try JSONValue(yaml: text)
        } catch {
            throw APIError.invalidArgument("content is not valid YAML: \(error)")
        }
        guard object.objectValue != nil, let apiVersion = object["apiVersion"]?.stringValue,
            let kind = object["kind"]?.stringValue
        else {
            throw APIError.invalidArgument("content must be one object with apiVersion and kind")
        }
        guard
            let family = ResourceFamily.seed.first(where: {
                $0.resource.apiVersion == apiVersion && $0.resource.kind == kind
            })
        else {
            throw APIError.invalidArgument("\(kind) of \(apiVersion) is not a kind this API edits")
        }
        guard let name = object["metadata"]?["name"]?.stringValue, !name.isEmpty else {
            throw APIError.invalidArgument("content.metadata.name is required")
        }
        try ParameterSyntax.check("name", name)
        let namespace = try resources.namespace(family.resource, input, object: object)
        if let namespace {
            try ParameterSyntax.check("namespace", namespace)
            object["metadata"]?["namespace"] = .string(namespace)
        }
        return Edit(family: family, namespace: namespace, name: name, object: object, text: text)
    }

    /// Validates the edit with a dry run: an update of the existing object, or a create of a new
    /// one. Refused fields come back in `errors` with their place in the text, `valid` false.
    func dryRun(_ input: OperationInput) async throws -> JSONValue {
        let edit = try edit(input)
        return try await access.call(input, verb: .update) { [edit] _, client in
            let current = try await existing(edit, client)
            var object = edit.object
            do {
                if let current {
                    guard edit.family.verbs.contains(.update) else {
                        throw APIError.invalidArgument("\(edit.resource.plural) cannot be updated")
                    }
                    let version = current["metadata"]?["resourceVersion"]?.stringValue ?? ""
                    if let base = edit.baseVersion, base != version {
                        throw APIError.staleEdit(base: base, current: current)
                    }
                    object["metadata"]?["resourceVersion"] = .string(version)
                    _ = try await client.replace(
                        edit.resource, namespace: edit.namespace, name: edit.name, object: object, dryRun: true)
                } else {
                    guard edit.family.verbs.contains(.create) else {
                        throw APIError.resourceNotFound("\(edit.resource.kind) \"\(edit.name)\" does not exist")
                    }
                    object["metadata"]?["resourceVersion"] = nil
                    _ = try await client.create(edit.resource, namespace: edit.namespace, object: object, dryRun: true)
                }
            } catch let error as KubeError where error.isInvalid {
                return [
                    "valid": false, "operation": current == nil ? "create" : "update",
                    "errors": .array(YAMLEditor.fieldErrors(of: error, in: edit.text).map(\.json)),
                ]
            }
            return ["valid": true, "operation": current == nil ? "create" : "update", "errors": []]
        }
    }

    /// The unified diff of the live object's clean YAML against the edit's (both without
    /// `metadata.managedFields` and `status`, which an apply does not change).
    func diff(_ input: OperationInput) async throws -> JSONValue {
        let edit = try edit(input)
        return try await access.call(input) { [edit] _, client in
            let live = try await client.get(edit.resource, namespace: edit.namespace, name: edit.name)
            let liveVersion = live["metadata"]?["resourceVersion"]?.stringValue ?? ""
            guard let diff = Self.lineDiff(live, edit.object) else {
                throw APIError.invalidArgument("the object is too large to diff")
            }
            return [
                "format": "unified", "changed": .bool(diff.changed), "diff": .string(diff.unified()),
                "resourceVersion": .string(liveVersion),
                "stale": .bool(edit.baseVersion.map { $0 != liveVersion } ?? false),
            ]
        }
    }

    /// Replaces the object with the edit, if it is still at the version the edit started from
    /// (`metadata.resourceVersion` of the content, or the `resourceVersion` parameter); otherwise
    /// 1007 with the current version and YAML in `data`. Confirmed like every update (§10).
    func apply(_ input: OperationInput) async throws -> JSONValue {
        var edit = try edit(input)
        guard edit.family.verbs.contains(.update) else {
            throw APIError.invalidArgument("\(edit.resource.plural) cannot be updated")
        }
        if edit.baseVersion == nil, let given = try input.optionalString("resourceVersion"), !given.isEmpty {
            edit.object["metadata"]?["resourceVersion"] = .string(given)
        }
        guard let base = edit.baseVersion else {
            throw APIError.invalidArgument("metadata.resourceVersion (the version the edit started from) is required")
        }
        let operation = try ResourceOperations.describe(
            "PUT", edit.resource, name: edit.name, namespace: edit.namespace, input)
        return try await access.call(input, verb: .update) { [edit] record, client in
            defer { access.lists?.noteWrite(cluster: record.id, resource: edit.resource.plural) }
            let current = try await client.get(edit.resource, namespace: edit.namespace, name: edit.name)
            guard current["metadata"]?["resourceVersion"]?.stringValue == base else {
                throw APIError.staleEdit(base: base, current: current)
            }
            try await resources.confirmations.require(input, operation: operation, target: .init(current)) {
                _ = try await client.replace(
                    edit.resource, namespace: edit.namespace, name: edit.name, object: edit.object, dryRun: true)
                return ["diff": .string(Self.lineDiff(current, edit.object)?.unified() ?? "")]
            }
            do {
                let updated = try await client.replace(
                    edit.resource, namespace: edit.namespace, name: edit.name, object: edit.object)
                return YAMLEditor.document(updated, keepManagedFields: false)
            } catch let error as KubeError where error.isConflict {
                // Changed between the check and the write.
                let latest = try await client.get(edit.resource, namespace: edit.namespace, name: edit.name)
                throw APIError.staleEdit(base: base, current: latest)
            }
        }
    }

    /// The object as it is, or `nil` when it does not exist (its namespace missing is 1003).
    private func existing(_ edit: Edit, _ client: KubeClient) async throws -> JSONValue? {
        do {
            return try await client.get(edit.resource, namespace: edit.namespace, name: edit.name)
        } catch let error as KubeError where error.isNotFound && !error.isNamespaceNotFound {
            return nil
        }
    }

    /// The diff of two objects' clean YAML, without `status`; `nil` when too large to compare.
    static func lineDiff(_ live: JSONValue, _ edited: JSONValue) -> LineDiff? {
        func shown(_ object: JSONValue) -> String {
            var object = YAMLEditor.clean(object)
            object["status"] = nil
            return YAMLWriter.text(object)
        }
        return LineDiff(from: shown(live), to: shown(edited))
    }
}

extension APIError {
    /// An edit of a version that is no longer current: 1007, with the current `resourceVersion`
    /// and the object's clean YAML in `data` so that the editor can start again from it.
    static func staleEdit(base: String, current: JSONValue) -> APIError {
        let version = current["metadata"]?["resourceVersion"]?.stringValue ?? ""
        return APIError(
            .createFailed,
            "the object has changed since the version the edit started from (\(base)); it is now at \(version)",
            data: YAMLEditor.document(current, keepManagedFields: false))
    }
}
