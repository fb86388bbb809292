import GaleJSON
import GaleProtocol
import HTTPTypes
import Logging

/// The resource template operations: CRUD over the registry's document store (built-in
/// templates listed first and read-only), render with values, apply to a cluster namespace.
struct TemplateOperations: Sendable {
    let store: any DocumentStore
    let applier: TemplateApplier
    let confirmations: ConfirmationGate

    var operations: [Operation] {
        [
            Operation(.get, "/templates", role: .viewer, action: "list templates") { input in try await list(input) },
            Operation(.get, "/templates/{id}", role: .viewer, action: "read templates") { input in
                try await template(try id(input)).json
            },
            Operation(.post, "/templates", role: .operator, action: "create templates") { input in
                try await create(input)
            },
            Operation(.put, "/templates/{id}", role: .operator, action: "update templates") { input in
                try await update(input)
            },
            Operation(.delete, "/templates/{id}", role: .operator, action: "delete templates") { input in
                try await delete(input)
            },
            Operation(.post, "/templates/{id}/render", role: .viewer, action: "render templates") { input in
                let objects = try await template(try id(input)).render(input.value("values"))
                return [
                    "objects": .array(objects),
                    "yaml": .string(objects.map(YAMLWriter.text).joined(separator: "---\n")),
                ]
            },
            Operation(.post, "/templates/{id}/apply", role: .operator, action: "apply templates") { input in
                try await applier.apply(
                    try await template(try id(input)), values: input.value("values"),
                    cluster: try input.string("cluster_id"), namespace: try input.string("namespace"),
                    as: input.principal, logger: input.logger, dryRun: try input.optionalBool("dry_run") ?? false)
            },
        ]
    }

    /// Built-in templates matching `keyword` first, then the stored ones, paged as one list.
    func list(_ input: OperationInput) async throws -> JSONValue {
        let paging = try input.paging()
        let keyword = try input.optionalString("keyword").flatMap { $0.isEmpty ? nil : $0 }
        let builtIns = BuiltInTemplates.all.filter {
            keyword == nil || $0.name.lowercased().contains(keyword!.lowercased())
        }
        let shown = Array(builtIns.dropFirst(paging.offset).prefix(paging.pageSize))
        let limit = paging.pageSize - shown.count
        let page = try await store.documents(
            .template, keyword: keyword, offset: max(0, paging.offset - builtIns.count), limit: max(limit, 1))
        let stored =
            limit > 0 ? try page.documents.map { document throws(APIError) in try ResourceTemplate(document) } : []
        return paging.envelope(items: (shown + stored).map(\.json), total: builtIns.count + page.total)
    }

    /// The template with `id`: built-in (negative) or stored; 1004 when there is none.
    func template(_ id: Int64) async throws -> ResourceTemplate {
        if let builtIn = BuiltInTemplates.template(id: id) { return builtIn }
        guard id > 0, let document = try await store.document(.template, id: id) else {
            throw APIError.resourceNotFound("template \(id) not found")
        }
        return try ResourceTemplate(document)
    }

    func create(_ input: OperationInput) async throws -> JSONValue {
        let template = try ResourceTemplate(
            name: try text(input, "name") ?? "", description: try text(input, "description") ?? "",
            manifests: try text(input, "manifests") ?? "", parameters: input.value("parameters"))
        try refuseBuiltInName(template.name)
        do {
            let stored = try await store.insertDocument(.template, name: template.name, body: template.body)
            input.logger.info("template created", metadata: ["template.id": "\(stored.id)"])
            return try ResourceTemplate(stored).json
        } catch let error as DocumentStoreError {
            throw APIError.documentRefused(error, noun: "template", creating: true)
        }
    }

    /// Changes any of `name`, `description`, `manifests`, `parameters`; with `revision`, only if
    /// the template is still at that revision.
    func update(_ input: OperationInput) async throws -> JSONValue {
        let id = try id(input)
        guard BuiltInTemplates.template(id: id) == nil else {
            throw APIError(.updateFailed, "built-in templates are read-only")
        }
        let existing = try await template(id)
        let template = try ResourceTemplate(
            id: id, name: try text(input, "name") ?? existing.name,
            description: try text(input, "description") ?? existing.description,
            manifests: try text(input, "manifests") ?? existing.manifests,
            parameters: input.value("parameters") ?? .array(existing.parameters.map(\.json)))
        try refuseBuiltInName(template.name)
        do {
            guard
                let stored = try await store.updateDocument(
                    .template, id: id, name: template.name, body: template.body,
                    expectedRevision: try input.optionalInt("revision"))
            else { throw APIError.resourceNotFound("template \(id) not found") }
            return try ResourceTemplate(stored).json
        } catch let error as DocumentStoreError {
            throw APIError.documentRefused(error, noun: "template", creating: false)
        }
    }

    /// Deletes a stored template, confirmed (§10) like other deletes.
    func delete(_ input: OperationInput) async throws -> JSONValue {
        let id = try id(input)
        guard BuiltInTemplates.template(id: id) == nil else {
            throw APIError(.deleteFailed, "built-in templates are read-only")
        }
        let existing = try await template(id)
        let target = ConfirmationGate.Target(uid: "template-\(id)", resourceVersion: String(existing.revision))
        try await confirmations.require(input, operation: "DELETE /templates/\(id)", target: target) {
            ["deletes": existing.json]
        }
        guard try await store.deleteDocument(.template, id: id) else {
            throw APIError.resourceNotFound("template \(id) not found")
        }
        input.logger.info("template deleted", metadata: ["template.id": "\(id)"])
        return ["id": .int(id)]
    }

    private func id(_ input: OperationInput) throws(APIError) -> Int64 {
        guard let id = Int64(try input.string("id")) else {
            throw .invalidArgument("parameter \"id\" must be an integer")
        }
        return id
    }

    /// A text parameter taken as given (template names and manifests are not path segments).
    private func text(_ input: OperationInput, _ name: String) throws(APIError) -> String? {
        switch input.value(name) {
        case nil: return nil
        case .string(let text)?: return text
        case let other?: throw .invalidArgument("parameter \"\(name)\" must be a string, not \(other.typeName)")
        }
    }

    /// Stored templates may not take a built-in's name.
    private func refuseBuiltInName(_ name: String) throws(APIError) {
        if BuiltInTemplates.all.contains(where: { $0.name == name }) {
            throw .invalidArgument("\"\(name)\" is the name of a built-in template")
        }
    }
}
