/// Why the gateway refused to mint a token.
public struct TokenIssueError: Error, CustomStringConvertible, Sendable {
    private enum Kind: Sendable {
        case nonPositiveLifetime
        case lifetimeAboveMaximum(Duration)
    }

    private let kind: Kind

    /// The requested lifetime is zero or negative.
    public static let nonPositiveLifetime = TokenIssueError(kind: .nonPositiveLifetime)

    /// The requested lifetime is longer than the configured maximum.
    public static func lifetimeAboveMaximum(_ maximum: Duration) -> TokenIssueError {
        TokenIssueError(kind: .lifetimeAboveMaximum(maximum))
    }

    public var description: String {
        switch kind {
        case .nonPositiveLifetime:
            "the token lifetime must be positive"
        case .lifetimeAboveMaximum(let maximum):
            "the token lifetime exceeds the maximum of \(maximum.components.seconds)s (--jwt-max-ttl)"
        }
    }
}
