/// The kind of a PATCH request.
public struct PatchType: Sendable, Hashable, CustomStringConvertible {
    /// The request's `Content-Type`.
    public let contentType: String
    private init(_ contentType: String) { self.contentType = contentType }
    /// JSON merge patch (RFC 7386).
    public static var merge: Self { .init("application/merge-patch+json") }
    /// Kubernetes strategic merge patch (built-in kinds only).
    public static var strategicMerge: Self { .init("application/strategic-merge-patch+json") }
    /// JSON patch (RFC 6902): an array of operations.
    public static var json: Self { .init("application/json-patch+json") }
    public var description: String { contentType }
}
