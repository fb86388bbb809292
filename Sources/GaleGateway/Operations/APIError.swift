public import GaleJSON
public import GaleProtocol
import KubeClient

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

    /// Why `error` happened, in words fit for a client: the message of an ``APIError`` or a
    /// `KubeError` (the apiserver's own, or a transport failure in plain words), never another
    /// error's description, which may name internal types or paths.
    static func reason(of error: any Error) -> String {
        switch error {
        case let error as APIError: error.message
        case let error as KubeError: error.message
        case let error as KubeconfigError: error.description
        case is CancellationError: "cancelled"
        default: "an unexpected error"
        }
    }
}
