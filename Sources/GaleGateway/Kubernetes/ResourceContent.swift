import GaleJSON
import KubeClient

/// The `content` parameter of create and update: a JSON object, or a YAML manifest as a string.
enum ResourceContent {
    static func object(_ input: OperationInput, kind: String) throws(APIError) -> JSONValue {
        let object: JSONValue
        switch input.value("content") {
        case nil: throw .invalidArgument("missing parameter \"content\"")
        case .object?: object = input.value("content")!
        case .string(let yaml)?:
            do {
                object = try JSONValue(yaml: yaml)
            } catch {
                throw .invalidArgument("content is not valid YAML: \(error)")
            }
        case let other?: throw .invalidArgument("parameter \"content\" must be an object or a YAML string, not \(other.typeName)")
        }
        guard object.objectValue != nil else { throw .invalidArgument("content must be a single object") }
        if let given = object["kind"]?.stringValue, given != kind {
            throw .invalidArgument("content.kind is \"\(given)\", expected \"\(kind)\"")
        }
        guard object["metadata"]?["name"]?.stringValue != nil || object["metadata"]?["generateName"] != nil else {
            throw .invalidArgument("content.metadata.name is required")
        }
        return object
    }
}
