import Foundation
import GaleJSON
import KubeClient

/// The pieces of the YAML editor that need no cluster: the clean YAML of an object, and the
/// apiserver's field causes of a refusal placed in the text that was sent.
enum YAMLEditor {
    /// The object without what an editor should not show: `metadata.managedFields` (unless
    /// `keepManagedFields`).
    static func clean(_ object: JSONValue, keepManagedFields: Bool = false) -> JSONValue {
        var object = object
        if !keepManagedFields, object["metadata"]?["managedFields"] != nil {
            object["metadata"]?["managedFields"] = nil
        }
        return object
    }

    /// `data` of a get with `format=yaml`: `{format, yaml, resourceVersion}`.
    static func document(_ object: JSONValue, keepManagedFields: Bool) -> JSONValue {
        [
            "format": "yaml",
            "yaml": .string(YAMLWriter.text(clean(object, keepManagedFields: keepManagedFields))),
            "resourceVersion": object["metadata"]?["resourceVersion"] ?? .null,
        ]
    }

    /// Whether `input` asks for YAML (`format=yaml`); 1001 for a format other than `json`/`yaml`.
    static func wantsYAML(_ input: OperationInput) throws(APIError) -> Bool {
        switch try input.optionalString("format") {
        case nil, "json"?: return false
        case "yaml"?: return true
        case let other?: throw .invalidArgument("parameter \"format\" must be json or yaml, not \"\(other)\"")
        }
    }

    /// One field the apiserver refused, placed in the submitted text.
    struct FieldError: Sendable {
        var field: String
        var message: String
        /// The field the mark belongs to: `field`, or the nearest enclosing field found in the text.
        var markedField: String?
        var mark: YAMLFieldMarks.Mark?

        var json: JSONValue {
            var out: [String: JSONValue] = ["field": .string(field), "message": .string(message)]
            if let mark, let markedField {
                out["line"] = .int(Int64(mark.line))
                out["column"] = .int(Int64(mark.column))
                out["marked_field"] = .string(markedField)
            } else {
                out["line"] = .null
                out["column"] = .null
            }
            return .object(out)
        }
    }

    /// The field errors of a 422 (`Invalid`) refusal, placed in `text`. The apiserver's message
    /// lists them as `Kind "name" is invalid: field: Type: detail` or, for several,
    /// `… is invalid: [field: Type: detail, field: Type: detail]`.
    static func fieldErrors(of error: KubeError, in text: String) -> [FieldError] {
        let marks = YAMLFieldMarks(text)
        let causes = invalidCauses(error.message)
        guard !causes.isEmpty else { return [FieldError(field: "", message: error.message)] }
        return causes.map { cause in
            let found = marks.mark(of: cause.field)
            return FieldError(field: cause.field, message: cause.message, markedField: found?.path, mark: found?.mark)
        }
    }

    /// The error types of `field.ErrorList` as the apiserver words them.
    private static let errorTypes = [
        "Invalid value", "Required value", "Unsupported value", "Forbidden", "Duplicate value", "Too long",
        "Too many", "Not found", "Internal error",
    ]

    /// `(field, message)` of each cause in an `Invalid` message.
    static func invalidCauses(_ message: String) -> [(field: String, message: String)] {
        guard let marker = message.range(of: " is invalid: ") else { return [] }
        var list = Substring(message[marker.upperBound...])
        if list.hasPrefix("["), list.hasSuffix("]") { list = list.dropFirst().dropLast() }
        // Cut before each `, field: Type` so that commas inside a value stay in its message.
        var starts: [Substring.Index] = [list.startIndex]
        var search = list.startIndex
        while let comma = list[search...].range(of: ", ") {
            if let cause = cause(list[comma.upperBound...]), cause.field.isEmpty == false {
                starts.append(comma.upperBound)
            }
            search = comma.upperBound
        }
        var causes: [(String, String)] = []
        for (index, start) in starts.enumerated() {
            var end = index + 1 < starts.count ? starts[index + 1] : list.endIndex
            if index + 1 < starts.count { end = list.index(end, offsetBy: -2) }
            if let cause = cause(list[start..<end]) { causes.append(cause) }
        }
        return causes
    }

    /// `spec.replicas: Invalid value: -1: must be …` → `("spec.replicas", "Invalid value: -1: …")`.
    private static func cause(_ text: Substring) -> (field: String, message: String)? {
        guard let colon = text.range(of: ": ") else { return nil }
        let field = text[..<colon.lowerBound]
        let rest = text[colon.upperBound...]
        guard !field.isEmpty, !field.contains(" "), errorTypes.contains(where: { rest.hasPrefix($0) }) else {
            return nil
        }
        return (String(field), String(rest))
    }
}
