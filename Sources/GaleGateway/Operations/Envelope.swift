public import GaleJSON
public import GaleProtocol

/// The seed's response envelope `{code, data, msg}`.
public struct Envelope: Sendable {
    public var code: ErrorCode
    public var msg: String
    public var data: JSONValue

    public init(code: ErrorCode = .ok, msg: String? = nil, data: JSONValue = .null) {
        self.code = code
        self.msg = msg ?? code.defaultMessage
        self.data = data
    }

    public init(_ error: APIError) {
        self.init(code: error.code, msg: error.message, data: error.data)
    }

    public var json: JSONValue {
        .object(["code": .int(Int64(code.rawValue)), "msg": .string(msg), "data": data])
    }
}
