public import GaleJSON
import GaleProtocol
public import HTTPTypes
public import Logging

/// Runs operations for both transports: resolves the path, checks the caller's role, calls the
/// handler, and turns every outcome into an ``Envelope``. HTTP and WebSocket answers are
/// identical because both come from here.
public struct OperationDispatcher: Sendable {
    public let table: OperationTable
    let metrics: GatewayMetrics

    public init(table: OperationTable, metrics: GatewayMetrics) {
        self.table = table
        self.metrics = metrics
    }

    /// Which transport a call came by; a metrics label.
    public enum Transport: String, Sendable {
        case http
        case websocket
    }

    public func dispatch(
        method: HTTPRequest.Method,
        path: String,
        query: [String: String],
        body: JSONValue?,
        principal: Principal,
        transport: Transport,
        logger: Logger,
        origin: RequestOrigin? = nil
    ) async -> Envelope {
        let start = ContinuousClock.now
        let operation: Operation
        let parameters: [String: String]
        switch table.resolve(method: method, path: path) {
        case .found(let found, let foundParameters):
            operation = found
            parameters = foundParameters
        case .methodNotAllowed(let allowed):
            let names = allowed.map(\.rawValue).joined(separator: ", ")
            return Envelope(APIError(.invalidArgument, "method \(method.rawValue) not allowed on \(path); use \(names)"))
        case .notFound:
            return Envelope(APIError(.resourceNotFound, "no operation \(method.rawValue) \(path)"))
        }

        let envelope: Envelope
        do {
            try principal.requireRole(operation.role, for: operation.action)
            let input = OperationInput(
                principal: principal,
                pathParameters: parameters,
                query: query,
                body: body,
                logger: logger,
                origin: origin
            )
            envelope = Envelope(data: try await operation.handler(input))
        } catch let error as APIError {
            envelope = Envelope(error)
        } catch {
            // Anything that is not an APIError is a bug or an infrastructure failure: log it,
            // answer 5001, and never echo its text (it may hold paths or SQL).
            logger.error("operation failed", metadata: ["operation": "\(operation.name)", "error": "\(error)"])
            envelope = Envelope(.internalError)
        }
        metrics.recordRequest(
            operation: operation.name,
            transport: transport.rawValue,
            code: envelope.code.rawValue,
            duration: ContinuousClock.now - start
        )
        return envelope
    }
}
