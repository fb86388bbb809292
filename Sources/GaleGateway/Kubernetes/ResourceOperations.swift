import GaleJSON
import HTTPTypes
import KubeClient

/// The CRUD operations of every resource family, over one ``ClusterAccess``.
struct ResourceOperations: Sendable {
    let access: ClusterAccess
    let confirmations: ConfirmationGate

    var operations: [Operation] {
        ResourceFamily.seed.flatMap(operations(for:))
    }

    func operations(for family: ResourceFamily) -> [Operation] {
        let plural = family.resource.plural
        let item = PathTemplate(family.path + "/{name}")
        var operations: [Operation] = []
        if family.verbs.contains(.list) {
            operations.append(Operation(.get, PathTemplate(family.path), role: .viewer, action: "list \(plural)") { input in
                try await list(family.resource, input)
            })
        }
        if family.verbs.contains(.get) {
            operations.append(Operation(.get, item, role: .viewer, action: "read \(plural)") { input in
                let namespace = try namespace(family.resource, input)
                let name = try input.string("name")
                let yaml = try YAMLEditor.wantsYAML(input)
                let keepManagedFields = try input.optionalBool("managed_fields") ?? false
                return try await access.call(input) { record, client in
                    var object = try await client.get(family.resource, namespace: namespace, name: name)
                    if redactsValues(family.resource, input.principal, record) { object = SecretRedaction.redacted(object) }
                    return yaml ? YAMLEditor.document(object, keepManagedFields: keepManagedFields) : object
                }
            })
        }
        if family.verbs.contains(.create) {
            operations.append(Operation(.post, PathTemplate(family.path), role: .operator, action: "create \(plural)") { input in
                try await create(family.resource, input)
            })
        }
        if family.verbs.contains(.update) {
            operations.append(Operation(.put, item, role: .operator, action: "update \(plural)") { input in
                try await update(family.resource, input)
            })
        }
        if family.verbs.contains(.delete) {
            operations.append(Operation(.delete, item, role: .operator, action: "delete \(plural)") { input in
                try await delete(family.resource, input)
            })
        }
        return operations
    }

    /// The seed's paged list: the cluster's list with selectors, narrowed by `keyword` (a
    /// substring of the name), ordered by namespace and name, one page of it.
    func list(_ resource: KubeResource, _ input: OperationInput) async throws -> JSONValue {
        let paging = try input.paging()
        let namespace = resource.namespaced ? try input.optionalString("namespace").flatMap { $0.isEmpty ? nil : $0 } : nil
        let keyword = try input.optionalString("keyword")?.lowercased()
        let options = ListOptions(
            labelSelector: try input.optionalString("labelSelector"),
            fieldSelector: try input.optionalString("fieldSelector")
        )
        return try await access.call(input) { record, client in
            let redacts = redactsValues(resource, input.principal, record)
            let key = WatchKey(
                cluster: record.id, resource: resource.plural, namespace: namespace, name: nil,
                labelSelector: options.labelSelector.flatMap { $0.isEmpty ? nil : $0 },
                fieldSelector: options.fieldSelector.flatMap { $0.isEmpty ? nil : $0 }, redactsSecretData: redacts)
            var items: [JSONValue]
            if let cached = try await access.lists?.objects(key, of: resource, for: input.principal, on: record) {
                items = cached
            } else {
                items = try await client.list(resource, namespace: namespace, options: options)["items"]?.arrayValue ?? []
                items.sort { Self.sortKey($0) < Self.sortKey($1) }
                if redacts { items = items.map(SecretRedaction.redacted) }
            }
            if items.isEmpty, let namespace {
                // The apiserver lists a missing namespace as empty; the seed wants 1003.
                _ = try await client.get(ResourceCatalog.namespaces, namespace: nil, name: namespace)
            }
            if let keyword, !keyword.isEmpty {
                items = items.filter { ($0["metadata"]?["name"]?.stringValue ?? "").lowercased().contains(keyword) }
            }
            let page = Array(items.dropFirst(paging.offset).prefix(paging.pageSize))
            return paging.envelope(items: page, total: items.count)
        }
    }

    /// Whether Secrets of `resource` go to `principal` without values (``SecretRedaction``).
    private func redactsValues(_ resource: KubeResource, _ principal: Principal, _ record: ClusterRecord) -> Bool {
        resource.plural == "secrets" && resource.group.isEmpty
            && SecretRedaction.applies(
                to: principal, impersonated: access.connections.identity(of: principal, on: record) != nil)
    }

    func create(_ resource: KubeResource, _ input: OperationInput) async throws -> JSONValue {
        var object = try ResourceContent.object(input, kind: resource.kind)
        let namespace = resource.namespaced ? try namespace(resource, input, object: object) : nil
        if let namespace { object["metadata"]?["namespace"] = .string(namespace) }
        return try await access.call(input, verb: .create) { [object] record, client in
            defer { access.lists?.noteWrite(cluster: record.id, resource: resource.plural) }
            return try await client.create(resource, namespace: namespace, object: object)
        }
    }

    func update(_ resource: KubeResource, _ input: OperationInput) async throws -> JSONValue {
        let name = try input.string("name")
        var object = try ResourceContent.object(input, kind: resource.kind)
        let namespace = try namespace(resource, input, object: object)
        if object["metadata"]?["name"] == nil { object["metadata"]?["name"] = .string(name) }
        guard object["metadata"]?["name"]?.stringValue == name else {
            throw APIError.invalidArgument("content.metadata.name does not match \"\(name)\"")
        }
        let operation = try Self.describe("PUT", resource, name: name, namespace: namespace, input)
        return try await access.call(input, verb: .update) { [object] record, client in
            defer { access.lists?.noteWrite(cluster: record.id, resource: resource.plural) }
            var object = object
            // The token binds the object as it is now: a confirmation of an edit of an older
            // version (or of another object under the same name) is not one of this one.
            let current = try await client.get(resource, namespace: namespace, name: name)
            if object["metadata"]?["resourceVersion"] == nil {
                // Like `kubectl replace`, an update without a version applies to the current one.
                object["metadata"]?["resourceVersion"] = current["metadata"]?["resourceVersion"]
            }
            try await confirmations.require(input, operation: operation, target: .init(current)) { [object] in
                let result = try await client.replace(resource, namespace: namespace, name: name, object: object, dryRun: true)
                return ["result": result]
            }
            return try await client.replace(resource, namespace: namespace, name: name, object: object)
        }
    }

    func delete(_ resource: KubeResource, _ input: OperationInput) async throws -> JSONValue {
        let namespace = try namespace(resource, input)
        let name = try input.string("name")
        let operation = try Self.describe("DELETE", resource, name: name, namespace: namespace, input)
        return try await access.call(input, verb: .delete) { record, client in
            defer { access.lists?.noteWrite(cluster: record.id, resource: resource.plural) }
            let object = try await client.get(resource, namespace: namespace, name: name)
            let target = ConfirmationGate.Target(object)
            try await confirmations.require(input, operation: operation, target: target) {
                _ = try await client.delete(resource, namespace: namespace, name: name, options: DeleteOptions(dryRun: true))
                let dependents = try await DependentObjects.find(of: object, client: client)
                return ["deletes": .array([DependentObjects.reference(object)] + dependents)]
            }
            // The version confirmed, or nothing: a change after the check fails with a conflict.
            return try await client.delete(
                resource, namespace: namespace, name: name,
                options: DeleteOptions(preconditionResourceVersion: target.resourceVersion.isEmpty ? nil : target.resourceVersion))
        }
    }

    /// Names a call exactly, for the confirmation token: method, path, cluster and namespace.
    static func describe(
        _ method: String, _ resource: KubeResource, name: String, namespace: String?, _ input: OperationInput
    ) throws -> String {
        let cluster = try input.optionalString("cluster_id") ?? input.pathParameters["id"] ?? ""
        return "\(method) /\(resource.plural)/\(name) cluster=\(cluster) namespace=\(namespace ?? "")"
    }

    /// The namespace an operation addresses: the parameter, else the object's, else `default`;
    /// `nil` for cluster-scoped resources.
    func namespace(_ resource: KubeResource, _ input: OperationInput, object: JSONValue? = nil) throws -> String? {
        guard resource.namespaced else { return nil }
        if let given = try input.optionalString("namespace"), !given.isEmpty { return given }
        return object?["metadata"]?["namespace"]?.stringValue ?? "default"
    }

    private static func sortKey(_ object: JSONValue) -> String {
        (object["metadata"]?["namespace"]?.stringValue ?? "") + "/" + (object["metadata"]?["name"]?.stringValue ?? "")
    }
}

extension ResourceCatalog {
    static let namespaces = ResourceCatalog.standard.resource(named: "namespaces")!
}
