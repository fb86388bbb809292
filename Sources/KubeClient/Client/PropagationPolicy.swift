/// How dependents of a deleted object are treated.
public struct PropagationPolicy: Sendable, Hashable, CustomStringConvertible {
    /// The value sent to the server.
    public let description: String
    private init(_ value: String) { self.description = value }
    /// Delete dependents in the background (the default for most kinds).
    public static var background: Self { .init("Background") }
    /// Delete dependents first, then the object.
    public static var foreground: Self { .init("Foreground") }
    /// Leave dependents.
    public static var orphan: Self { .init("Orphan") }
}
