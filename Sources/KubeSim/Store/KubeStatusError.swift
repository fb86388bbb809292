import GaleJSON

/// A failure that the API answers with a `meta/v1 Status` object, exactly as the apiserver does.
public struct KubeStatusError: Error, CustomStringConvertible, Sendable {
    /// HTTP status code (404, 409, 410, ...).
    public let code: Int
    /// Machine-readable reason (`NotFound`, `AlreadyExists`, `Conflict`, `Expired`, ...).
    public let reason: String
    /// Human-readable message.
    public let message: String
    /// `details` of the Status (name, group, kind, causes).
    public let details: JSONValue?

    public init(code: Int, reason: String, message: String, details: JSONValue? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var description: String { "\(code) \(reason): \(message)" }

    /// The `Status` object.
    public var status: JSONValue {
        var object: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if let details { object["details"] = details }
        return object
    }

    private static func details(_ type: ResourceType, _ name: String) -> JSONValue {
        var details: JSONValue = ["name": .string(name), "kind": .string(type.plural)]
        if !type.group.isEmpty { details["group"] = .string(type.group) }
        return details
    }

    /// 404 for an object.
    public static func notFound(_ type: ResourceType, _ name: String) -> KubeStatusError {
        KubeStatusError(
            code: 404, reason: "NotFound", message: "\(type.qualifiedName) \"\(name)\" not found",
            details: details(type, name))
    }

    /// 404 because the namespace does not exist (details.kind is `namespaces`).
    public static func namespaceNotFound(_ namespace: String) -> KubeStatusError {
        notFound(ResourceCatalog.namespaces, namespace)
    }

    /// 409 on create of an existing name.
    public static func alreadyExists(_ type: ResourceType, _ name: String) -> KubeStatusError {
        KubeStatusError(
            code: 409, reason: "AlreadyExists", message: "\(type.qualifiedName) \"\(name)\" already exists",
            details: details(type, name))
    }

    /// 409 on a stale resourceVersion.
    public static func conflict(_ type: ResourceType, _ name: String) -> KubeStatusError {
        KubeStatusError(
            code: 409, reason: "Conflict",
            message:
                "Operation cannot be fulfilled on \(type.qualifiedName) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
            details: details(type, name))
    }

    /// 410 once a resourceVersion has left the history window.
    public static func expired(_ message: String) -> KubeStatusError {
        KubeStatusError(code: 410, reason: "Expired", message: message)
    }

    /// 504 for a watch or list from a resourceVersion the server has not reached (yet): what the
    /// apiserver's watch cache answers after waiting for it, and what a client whose cluster was
    /// rebuilt under it gets when it resumes. client-go relists on it.
    public static func tooLargeResourceVersion(_ requested: Int, current: Int) -> KubeStatusError {
        KubeStatusError(
            code: 504, reason: "Timeout", message: "Too large resource version: \(requested), current: \(current)",
            details: [
                "causes": [["reason": "ResourceVersionTooLarge", "message": "Too large resource version"]],
                "retryAfterSeconds": 1,
            ])
    }

    /// 400.
    public static func badRequest(_ message: String) -> KubeStatusError {
        KubeStatusError(code: 400, reason: "BadRequest", message: message)
    }

    /// 422 with one field cause.
    public static func invalid(_ type: ResourceType, _ name: String, field: String, _ message: String) -> KubeStatusError {
        var details = details(type, name)
        details["kind"] = .string(type.kind)
        details["causes"] = [["reason": "FieldValueInvalid", "message": .string(message), "field": .string(field)]]
        return KubeStatusError(
            code: 422, reason: "Invalid", message: "\(type.kind) \"\(name)\" is invalid: \(field): \(message)",
            details: details)
    }

    /// 405.
    public static func methodNotAllowed(_ message: String = "the server does not allow this method on the requested resource")
        -> KubeStatusError
    {
        KubeStatusError(code: 405, reason: "MethodNotAllowed", message: message)
    }

    /// 401.
    public static let unauthorized = KubeStatusError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    /// 415.
    public static func unsupportedMediaType(_ type: String) -> KubeStatusError {
        KubeStatusError(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got \(type))")
    }

    /// 500.
    public static func internalError(_ message: String) -> KubeStatusError {
        KubeStatusError(code: 500, reason: "InternalError", message: message)
    }
}
