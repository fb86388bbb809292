import GaleJSON

/// Minimal OpenAPI documents, enough for kubectl's client-side machinery.
///
/// kubectl `apply`/`create` download `/openapi/v2` for schema validation and ask `/openapi/v3` whether the
/// server supports the `fieldValidation` query parameter for a kind (it then leaves validation to the
/// server). The v2 document is an empty protobuf `Document` (no schemas: kubectl skips client-side
/// validation for kinds without a schema and uses its built-in types for strategic merge); the v3
/// documents declare, for every kind, a PATCH operation with the `x-kubernetes-group-version-kind`
/// extension and the `fieldValidation` parameter.
enum OpenAPIDocuments {
    static let v2ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

    static func relativePath(group: String, version: String) -> String {
        group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)"
    }

    static func index() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for entry in ResourceCatalog.groupVersions {
            let path = relativePath(group: entry.group, version: entry.version)
            paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(NameGenerator.hash(path))")]
        }
        return ["paths": .object(paths)]
    }

    static func document(path: String) -> JSONValue? {
        guard let entry = ResourceCatalog.groupVersions.first(where: { relativePath(group: $0.group, version: $0.version) == path })
        else { return nil }
        var paths: [String: JSONValue] = [:]
        for type in ResourceCatalog.all where type.group == entry.group && type.version == entry.version && !type.readOnly
            && !type.review
        {
            let base = "/\(path)/" + (type.namespaced ? "namespaces/{namespace}/" : "") + "\(type.plural)/{name}"
            let operation: JSONValue = [
                "operationId": .string("patch\(type.kind)"),
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": ["group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind)],
                "parameters": [
                    ["name": "dryRun", "in": "query", "schema": ["type": "string"]],
                    ["name": "fieldManager", "in": "query", "schema": ["type": "string"]],
                    ["name": "fieldValidation", "in": "query", "schema": ["type": "string"]],
                ],
                "responses": ["200": ["description": "OK"]],
            ]
            paths[base] = ["patch": operation]
        }
        return [
            "openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.32.4"], "paths": .object(paths),
            "components": ["schemas": .object([:])],
        ]
    }
}
