public import GaleJSON

/// The `id` a client gives a frame to correlate the answer: a string or an integer, echoed verbatim.
public enum FrameID: Hashable, Sendable, CustomStringConvertible {
    case string(String)
    case number(Int64)

    /// The id as it appears in JSON.
    public var json: JSONValue {
        switch self {
        case .string(let value): .string(value)
        case .number(let value): .int(value)
        }
    }

    /// Reads an id from JSON; `nil` when the value is neither a string nor an integer.
    public init?(json: JSONValue) {
        switch json {
        case .string(let value): self = .string(value)
        case .int(let value): self = .number(value)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .string(let value): value
        case .number(let value): String(value)
        }
    }
}
