/// A text frame that could not be understood: answered with an `error` frame (code 1001) while
/// the socket stays open.
public struct FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The id of the offending frame, when it had a readable one, so the client can correlate.
    public var id: FrameID?
    /// Human-readable reason, e.g. `missing field "path"`.
    public var message: String
    /// Always ``ErrorCode/invalidArgument`` today; kept so the mapping lives in one place.
    public var code: ErrorCode

    public init(_ message: String, id: FrameID? = nil, code: ErrorCode = .invalidArgument) {
        self.message = message
        self.id = id
        self.code = code
    }

    public var description: String { message }
}
