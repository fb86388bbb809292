public import GaleJSON
public import GaleProtocol

/// A failure of an API operation, carrying the seed error code and a message for the client.
///
/// This is the one place where failures become codes: handlers throw `APIError`s, and the
/// dispatcher turns anything else into ``ErrorCode/internalError`` without leaking its text.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    /// What the envelope's `data` carries; `null` for most failures.
    public var data: JSONValue

    public init(_ code: ErrorCode, _ message: String? = nil, data: JSONValue = .null) {
        self.code = code
        self.message = message ?? code.defaultMessage
        self.data = data
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func invalidArgument(_ message: String) -> APIError { .init(.invalidArgument, message) }
    public static func clusterNotFound(_ id: String) -> APIError { .init(.clusterNotFound, "cluster \(id) not found") }
    public static func resourceNotFound(_ message: String) -> APIError { .init(.resourceNotFound, message) }
    public static func forbidden(_ message: String) -> APIError { .init(.forbidden, message) }
    public static func unauthenticated(_ message: String) -> APIError { .init(.unauthenticated, message) }
    public static func tokenExpired(_ message: String = "token expired") -> APIError { .init(.tokenExpired, message) }
    public static let internalError = APIError(.internalError)
}
