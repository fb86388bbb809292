public import HTTPTypes

/// Every operation of the API, looked up by method and path for both transports.
public struct OperationTable: Sendable {
    public private(set) var operations: [Operation] = []

    public init() {}

    /// Adds an operation; a second operation with the same method and path is a programming error.
    public mutating func add(_ operation: Operation) {
        precondition(
            !operations.contains { $0.method == operation.method && $0.path == operation.path },
            "duplicate operation \(operation.name)"
        )
        operations.append(operation)
    }

    public mutating func add(contentsOf operations: [Operation]) {
        for operation in operations { add(operation) }
    }

    /// What a method and path resolve to.
    public enum Resolution: Sendable {
        case found(Operation, parameters: [String: String])
        /// The path exists with other methods.
        case methodNotAllowed(allowed: [HTTPRequest.Method])
        case notFound
    }

    /// Resolves `path` (relative to the API base, without query string). When several
    /// templates match, the most specific wins: `/pods/metrics` before `/pods/{name}`.
    public func resolve(method: HTTPRequest.Method, path: String) -> Resolution {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [HTTPRequest.Method] = []
        var best: (operation: Operation, parameters: [String: String])?
        for operation in operations {
            guard let parameters = operation.path.match(segments) else { continue }
            guard operation.method == method else {
                allowed.append(operation.method)
                continue
            }
            if best == nil || parameters.count < best!.parameters.count {
                best = (operation, parameters)
            }
        }
        if let best { return .found(best.operation, parameters: best.parameters) }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }
}
