import Foundation

/// A failed call to the API server, with the apiserver's own message.
///
/// ``kind`` says what failed; for ``Kind/status`` the HTTP ``code``, the Kubernetes ``reason``
/// (`NotFound`, `Forbidden`, `Conflict`, `AlreadyExists`, `Invalid`, ...) and the `details`
/// of the `Status` body are filled in. Convenience booleans cover the cases callers branch on.
public struct KubeError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Value: Sendable, Hashable {
            case status, unreachable, gone, unauthorized, decoding
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The server answered with an error `Status` (or a non-2xx response).
        public static var status: Self { .init(.status) }
        /// The server could not be reached: connect, DNS, TLS or timeout failure.
        public static var unreachable: Self { .init(.unreachable) }
        /// 410 Gone: the requested resourceVersion has left the server's history; relist.
        public static var gone: Self { .init(.gone) }
        /// 401: the credentials were rejected.
        public static var unauthorized: Self { .init(.unauthorized) }
        /// The response could not be understood.
        public static var decoding: Self { .init(.decoding) }

        public var description: String {
            switch value {
            case .status: "status"
            case .unreachable: "unreachable"
            case .gone: "gone"
            case .unauthorized: "unauthorized"
            case .decoding: "decoding"
            }
        }
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// HTTP status code, when the server answered.
    public let code: Int?
    /// The `Status.reason` (`NotFound`, `Forbidden`, `Conflict`, `AlreadyExists`, `Invalid`, `Expired`, ...).
    public let reason: String?
    /// The apiserver's own message, or a description of the transport failure.
    public let message: String
    /// `Status.details.kind` (a plural resource name such as `pods` or `namespaces`).
    public let detailsKind: String?
    /// `Status.details.name`.
    public let detailsName: String?
    /// The `reason` of each `Status.details.causes` entry (`FieldValueInvalid`, `ResourceVersionTooLarge`, ...).
    public let causes: [String]

    private init(
        kind: Kind, code: Int?, reason: String?, message: String, detailsKind: String?, detailsName: String?,
        causes: [String] = []
    ) {
        self.kind = kind
        self.code = code
        self.reason = reason
        self.message = message
        self.detailsKind = detailsKind
        self.detailsName = detailsName
        self.causes = causes
    }

    /// An error `Status` from the server.
    public static func status(
        code: Int, reason: String?, message: String, detailsKind: String? = nil, detailsName: String? = nil,
        causes: [String] = []
    ) -> KubeError {
        let kind: Kind = code == 410 ? .gone : code == 401 ? .unauthorized : .status
        return KubeError(
            kind: kind, code: code, reason: reason, message: message, detailsKind: detailsKind,
            detailsName: detailsName, causes: causes)
    }

    /// The server could not be reached (connect, DNS, TLS, timeout).
    public static func unreachable(_ reason: String) -> KubeError {
        KubeError(kind: .unreachable, code: nil, reason: nil, message: reason, detailsKind: nil, detailsName: nil)
    }

    /// 410 Gone (also from a watch `ERROR` event).
    public static func gone(_ message: String) -> KubeError {
        KubeError(kind: .gone, code: 410, reason: "Expired", message: message, detailsKind: nil, detailsName: nil)
    }

    /// 401 Unauthorized.
    public static func unauthorized(_ message: String) -> KubeError {
        KubeError(
            kind: .unauthorized, code: 401, reason: "Unauthorized", message: message, detailsKind: nil,
            detailsName: nil)
    }

    /// A response that could not be understood.
    public static func decoding(_ reason: String) -> KubeError {
        KubeError(kind: .decoding, code: nil, reason: nil, message: reason, detailsKind: nil, detailsName: nil)
    }

    /// Builds the error from a non-2xx response, reading the `Status` body when there is one.
    static func fromResponse(code: Int, body: [UInt8]) -> KubeError {
        if let status = try? KubeJSON(parsing: body), status["kind"]?.stringValue == "Status" {
            return fromStatus(status, httpCode: code)
        }
        // A body that is not a Status (a proxy's HTML page, a stack trace) is never quoted: it may
        // carry internals of whatever answered, and means nothing to the person who reads the error.
        let reason = defaultReason(code)
        let message = "the server answered HTTP \(code)" + (reason.map { " (\($0))" } ?? "")
        return .status(code: code, reason: reason, message: message)
    }

    /// Builds the error from a `Status` object (a response body or a watch `ERROR` event's object).
    public static func fromStatus(_ status: KubeJSON, httpCode: Int? = nil) -> KubeError {
        let code = status["code"]?.intValue.map { Int($0) } ?? httpCode ?? 500
        let message = status["message"]?.stringValue ?? "the server answered HTTP \(code)"
        return .status(
            code: code,
            reason: status["reason"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? defaultReason(code),
            message: message,
            detailsKind: status["details"]?["kind"]?.stringValue,
            detailsName: status["details"]?["name"]?.stringValue,
            causes: (status["details"]?["causes"]?.arrayValue ?? []).compactMap { $0["reason"]?.stringValue }
        )
    }

    static func defaultReason(_ code: Int) -> String? {
        switch code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 409: "Conflict"
        case 410: "Expired"
        case 422: "Invalid"
        case 429: "TooManyRequests"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        case 504: "Timeout"
        default: nil
        }
    }

    /// The object (or its namespace) does not exist.
    public var isNotFound: Bool { kind == .status && (reason == "NotFound" || (reason == nil && code == 404)) }
    /// The namespace the request addressed does not exist (`NotFound` with `details.kind == "namespaces"`).
    public var isNamespaceNotFound: Bool { isNotFound && detailsKind == "namespaces" }
    /// The server has not reached the resourceVersion asked for — for a client that has seen it,
    /// the cluster's store was restored or rebuilt under it. client-go relists; so do we.
    public var isResourceVersionTooLarge: Bool {
        kind == .status
            && (causes.contains("ResourceVersionTooLarge")
                || (code == 504 && message.hasPrefix("Too large resource version")))
    }
    /// The credentials are valid but not allowed to do this.
    public var isForbidden: Bool { kind == .status && (reason == "Forbidden" || code == 403) }
    /// The server could not be reached.
    public var isUnreachable: Bool { kind == .unreachable }
    /// 410 Gone.
    public var isGone: Bool { kind == .gone }
    /// 401 Unauthorized.
    public var isUnauthorized: Bool { kind == .unauthorized }
    /// 409 Conflict (a stale resourceVersion on update).
    public var isConflict: Bool { kind == .status && (reason == "Conflict" || (reason == nil && code == 409)) }
    /// 409 AlreadyExists (create of an existing name).
    public var isAlreadyExists: Bool { kind == .status && reason == "AlreadyExists" }
    /// 422 Invalid (validation failed).
    public var isInvalid: Bool { kind == .status && (reason == "Invalid" || code == 422) }

    public var description: String {
        switch kind {
        case .unreachable: "API server unreachable: \(message)"
        case .decoding: "cannot decode the API server's response: \(message)"
        default:
            if let code, let reason { "\(message) (\(reason), HTTP \(code))" } else { message }
        }
    }
}
