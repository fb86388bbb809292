public import GaleJSON
public import Logging

/// What an operation handler receives: the caller, and its parameters from the path, the query
/// string and the JSON body — looked up in that order, because the seed passes `cluster_id`
/// in the query for reads and in the body for writes.
public struct OperationInput: Sendable {
    public let principal: Principal
    public let pathParameters: [String: String]
    public let query: [String: String]
    public let body: JSONValue?
    public let logger: Logger
    /// Where the client addressed the gateway (the HTTP request, or the upgrade request of the
    /// socket a frame came on); `nil` when unknown. URLs handed back to the client are built on it.
    public let origin: RequestOrigin?

    public init(
        principal: Principal,
        pathParameters: [String: String],
        query: [String: String],
        body: JSONValue?,
        logger: Logger,
        origin: RequestOrigin? = nil
    ) {
        self.principal = principal
        self.pathParameters = pathParameters
        self.query = query
        self.body = body
        self.logger = logger
        self.origin = origin
    }

    /// The raw value of a parameter, wherever it was given.
    public func value(_ name: String) -> JSONValue? {
        if let value = pathParameters[name] { return .string(value) }
        if let value = query[name] { return .string(value) }
        if let value = body?[name], !value.isNull { return value }
        return nil
    }

    /// A string parameter; names, namespaces and selectors are checked against their syntax
    /// here (``ParameterSyntax``), before any handler can put them in an upstream URL.
    public func optionalString(_ name: String) throws(APIError) -> String? {
        switch value(name) {
        case nil: return nil
        case .string(let string)?:
            try ParameterSyntax.check(name, string)
            return string
        case .int(let int)?: return String(int)
        case let other?: throw .invalidArgument("parameter \"\(name)\" must be a string, not \(other.typeName)")
        }
    }

    public func string(_ name: String) throws(APIError) -> String {
        guard let value = try optionalString(name), !value.isEmpty else {
            throw .invalidArgument("missing parameter \"\(name)\"")
        }
        return value
    }

    public func optionalInt(_ name: String) throws(APIError) -> Int64? {
        switch value(name) {
        case nil: return nil
        case .string(let string)?:
            guard let int = Int64(string) else { throw .invalidArgument("parameter \"\(name)\" must be an integer") }
            return int
        case let other?:
            guard let int = other.intValue else { throw .invalidArgument("parameter \"\(name)\" must be an integer") }
            return int
        }
    }

    public func optionalBool(_ name: String) throws(APIError) -> Bool? {
        switch value(name) {
        case nil: return nil
        case .bool(let bool)?: return bool
        case .string("true")?, .string("1")?: return true
        case .string("false")?, .string("0")?: return false
        default: throw .invalidArgument("parameter \"\(name)\" must be true or false")
        }
    }

    /// `page` and `pageSize`, validated.
    public func paging() throws(APIError) -> Paging {
        let page = try optionalInt("page") ?? 1
        let pageSize = try optionalInt("pageSize") ?? Int64(Paging.defaultPageSize)
        guard page >= 1 else { throw .invalidArgument("parameter \"page\" must be at least 1") }
        guard (1...Int64(Paging.maxPageSize)).contains(pageSize) else {
            throw .invalidArgument("parameter \"pageSize\" must be between 1 and \(Paging.maxPageSize)")
        }
        return Paging(page: Int(page), pageSize: Int(pageSize))
    }
}

/// A page request and the seed's `{items, total, page, pageSize}` answer.
public struct Paging: Sendable, Hashable {
    public static let defaultPageSize = 20
    public static let maxPageSize = 500

    public var page: Int
    public var pageSize: Int

    public init(page: Int, pageSize: Int) {
        self.page = page
        self.pageSize = pageSize
    }

    public var offset: Int { (page - 1) * pageSize }

    /// The page of `items` out of `total`.
    public func envelope(items: [JSONValue], total: Int) -> JSONValue {
        .object([
            "items": .array(items),
            "total": .int(Int64(total)),
            "page": .int(Int64(page)),
            "pageSize": .int(Int64(pageSize)),
        ])
    }
}
