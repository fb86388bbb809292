public import GaleJSON
public import HTTPTypes

/// One API operation, declared once and served both as an HTTP route under
/// `/api/v1/kubernetes` and as a WebSocket `request` frame with the same method and path.
public struct Operation: Sendable {
    public typealias Handler = @Sendable (OperationInput) async throws -> JSONValue

    public let method: HTTPRequest.Method
    public let path: PathTemplate
    /// The least role allowed to call it.
    public let role: Role
    /// A short verb phrase for error messages ("create clusters").
    public let action: String
    let handler: Handler

    public init(_ method: HTTPRequest.Method, _ path: PathTemplate, role: Role, action: String, handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.role = role
        self.action = action
        self.handler = handler
    }

    /// `GET /clusters/{id}`: the label used in logs and metrics.
    public var name: String { "\(method.rawValue) \(path)" }
}
