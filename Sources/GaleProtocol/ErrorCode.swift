/// The error codes of the KubeGale API (seed spec, "错误代码定义"), shared by HTTP envelopes
/// and WebSocket `response`/`error` frames.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    /// 0 — success.
    public static let ok = ErrorCode(rawValue: 0)
    /// 1001 — invalid parameter or malformed input.
    public static let invalidArgument = ErrorCode(rawValue: 1001)
    /// 1002 — the cluster does not exist.
    public static let clusterNotFound = ErrorCode(rawValue: 1002)
    /// 1003 — the namespace does not exist.
    public static let namespaceNotFound = ErrorCode(rawValue: 1003)
    /// 1004 — the resource (or API path) does not exist.
    public static let resourceNotFound = ErrorCode(rawValue: 1004)
    /// 1005 — the caller's role or scope does not allow this.
    public static let forbidden = ErrorCode(rawValue: 1005)
    /// 1006 — the cluster cannot be reached.
    public static let clusterUnreachable = ErrorCode(rawValue: 1006)
    /// 1007 — the cluster rejected a create.
    public static let createFailed = ErrorCode(rawValue: 1007)
    /// 1008 — the cluster rejected an update.
    public static let updateFailed = ErrorCode(rawValue: 1008)
    /// 1009 — the cluster rejected a delete.
    public static let deleteFailed = ErrorCode(rawValue: 1009)
    /// 1010 — a sensitive operation (delete, update, drain) needs confirmation: the answer's
    /// `data` holds a preview of its effect and a `confirm_token` to repeat the call with.
    /// An extension of the seed's table.
    public static let confirmationRequired = ErrorCode(rawValue: 1010)
    /// 2001 — missing or invalid credentials.
    public static let unauthenticated = ErrorCode(rawValue: 2001)
    /// 2002 — the token has expired.
    public static let tokenExpired = ErrorCode(rawValue: 2002)
    /// 5001 — internal server error.
    public static let internalError = ErrorCode(rawValue: 5001)

    /// The HTTP status an envelope carrying this code is sent with.
    public var httpStatus: Int {
        switch rawValue {
        case 0: 200
        case 1001: 400
        case 1002, 1003, 1004: 404
        case 1005: 403
        case 1006: 502
        case 1007, 1008, 1009: 422
        case 1010: 428
        case 2001, 2002: 401
        default: 500
        }
    }

    /// The default message for this code.
    public var defaultMessage: String {
        switch rawValue {
        case 0: "success"
        case 1001: "invalid argument"
        case 1002: "cluster not found"
        case 1003: "namespace not found"
        case 1004: "resource not found"
        case 1005: "permission denied"
        case 1006: "cluster connection failed"
        case 1007: "resource creation failed"
        case 1008: "resource update failed"
        case 1009: "resource deletion failed"
        case 1010: "confirmation required"
        case 2001: "authentication failed"
        case 2002: "token expired"
        default: "internal server error"
        }
    }

    public var description: String { "\(rawValue)" }
}
