import GaleJSON
import Yams

/// Converts YAML (accepted wherever JSON is) into ``JSONValue``.
enum YAMLBridge {
    static func parse(_ text: String) throws -> JSONValue {
        convert(try Yams.load(yaml: text))
    }

    static func convert(_ value: Any?) -> JSONValue {
        switch value {
        case nil: return .null
        case let value as Bool: return .bool(value)
        case let value as Int: return .int(Int64(value))
        case let value as Double: return .double(value)
        case let value as String: return .string(value)
        case let value as [Any?]: return .array(value.map(convert))
        case let value as [String: Any?]: return .object(value.mapValues(convert))
        case let value as [AnyHashable: Any?]:
            return .object(Dictionary(value.map { ("\($0.key)", convert($0.value)) }, uniquingKeysWith: { $1 }))
        default: return .string("\(value!)")
        }
    }
}
