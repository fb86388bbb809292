import Foundation
import GaleJSON
import KubeClient

extension DocumentKind {
    /// Resource templates in the registry's document store.
    static let template = DocumentKind("template")
}

/// A stored (or built-in) set of manifests with typed parameters: `{id, name, description,
/// manifests, parameters, builtin, revision, created_at, updated_at}`. Built-in templates have
/// negative ids and cannot be changed.
struct ResourceTemplate: Sendable {
    static let maxNameLength = 253
    static let maxDescriptionLength = 4096
    static let maxParameters = 50

    var id: Int64
    var name: String
    var description: String
    /// The manifests: YAML documents separated by `---` lines, with `{{ name }}` placeholders.
    var manifests: String
    var parameters: [TemplateParameter]
    var builtIn = false
    var revision: Int64 = 0
    var createdAt: Date?
    var updatedAt: Date?

    /// A template checked through: its name, every parameter, every document (parsed, of a kind
    /// the catalog knows) and every placeholder (declared); 1001 naming the first problem.
    init(id: Int64 = 0, name: String, description: String, manifests: String, parameters: JSONValue?) throws(APIError) {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...Self.maxNameLength).contains(name.utf8.count),
            !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            throw .invalidArgument("name must be 1 to \(Self.maxNameLength) characters without control characters")
        }
        guard description.utf8.count <= Self.maxDescriptionLength else {
            throw .invalidArgument("description is longer than \(Self.maxDescriptionLength) bytes")
        }
        var declared: [TemplateParameter] = []
        switch parameters {
        case nil, .null?: break
        case .array(let items)?:
            guard items.count <= Self.maxParameters else {
                throw .invalidArgument("a template has at most \(Self.maxParameters) parameters")
            }
            for item in items {
                let parameter = try TemplateParameter(item)
                guard !declared.contains(where: { $0.name == parameter.name }) else {
                    throw .invalidArgument("parameter \"\(parameter.name)\" is declared twice")
                }
                declared.append(parameter)
            }
        case let other?: throw .invalidArgument("parameters must be an array, not \(other.typeName)")
        }
        let documents = try TemplateRenderer.documents(manifests)
        for (index, document) in documents.enumerated() {
            let apiVersion = document["apiVersion"]?.stringValue ?? ""
            let kind = document["kind"]?.stringValue ?? ""
            guard ResourceCatalog.standard.resource(apiVersion: apiVersion, kind: kind) != nil else {
                throw .invalidArgument("manifest document \(index + 1): \(kind) of \(apiVersion) is not a known kind")
            }
            for used in TemplateRenderer.placeholders(in: document).sorted()
            where !declared.contains(where: { $0.name == used }) {
                throw .invalidArgument(
                    "manifest document \(index + 1) uses {{ \(used) }}, which is not a declared parameter")
            }
        }
        self.id = id
        self.name = name
        self.description = description
        self.manifests = manifests
        self.parameters = declared
    }

    /// A template as the store keeps it (its body was checked when written).
    init(_ document: StoredDocument) throws(APIError) {
        try self.init(
            id: document.id, name: document.name, description: document.body["description"]?.stringValue ?? "",
            manifests: document.body["manifests"]?.stringValue ?? "", parameters: document.body["parameters"])
        revision = document.revision
        createdAt = document.createdAt
        updatedAt = document.updatedAt
    }

    /// What the store keeps besides the name.
    var body: JSONValue {
        [
            "description": .string(description), "manifests": .string(manifests),
            "parameters": .array(parameters.map(\.json)),
        ]
    }

    var json: JSONValue {
        [
            "id": .int(id), "name": .string(name), "description": .string(description),
            "manifests": .string(manifests), "parameters": .array(parameters.map(\.json)), "builtin": .bool(builtIn),
            "revision": .int(revision), "created_at": createdAt.map { .string(ClusterRecord.timestamp($0)) } ?? .null,
            "updated_at": updatedAt.map { .string(ClusterRecord.timestamp($0)) } ?? .null,
        ]
    }

    /// The manifests with `values` (an object of parameter name → value; defaults fill the rest);
    /// 1001 naming a parameter that is unknown, missing while required, or invalid.
    func render(_ values: JSONValue?) throws(APIError) -> [JSONValue] {
        let given: [String: JSONValue]
        switch values {
        case nil, .null?: given = [:]
        case .object(let members)?: given = members
        case let other?: throw .invalidArgument("values must be an object, not \(other.typeName)")
        }
        for name in given.keys.sorted() where !parameters.contains(where: { $0.name == name }) {
            throw .invalidArgument("parameter \"\(name)\" is not a parameter of this template")
        }
        var resolved: [String: JSONValue] = [:]
        for parameter in parameters {
            if let value = given[parameter.name], !value.isNull {
                resolved[parameter.name] = try parameter.value(value)
            } else if let value = parameter.defaultValue {
                resolved[parameter.name] = value
            } else if parameter.required {
                throw .invalidArgument("parameter \"\(parameter.name)\" is required")
            }
        }
        return try TemplateRenderer.documents(manifests).enumerated().map { (index, document) throws(APIError) in
            let object = TemplateRenderer.substitute(document, resolved)
            guard let name = object["metadata"]?["name"]?.stringValue, !name.isEmpty,
                ParameterSyntax.pathSegmentProblem(name) == nil
            else {
                throw .invalidArgument(
                    "manifest document \(index + 1): metadata.name is not a valid name once rendered")
            }
            return object
        }
    }
}
