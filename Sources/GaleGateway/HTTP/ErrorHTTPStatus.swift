import GaleProtocol

/// Which HTTP status an API error is answered with. The envelope's `code` is the same either way.
public struct ErrorHTTPStatus: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: String, Sendable, Hashable {
        case mapped
        case envelope
    }

    private let kind: Kind

    /// Each code with a status of its own (1001 → 400, 2001 → 401, 1004 → 404, …, protocol §11).
    /// The default.
    public static let mapped = ErrorHTTPStatus(kind: .mapped)
    /// Every answer is `200 OK` with the error in the envelope, for front ends that read `code`
    /// from successful answers only (the KubeGale web app's axios interceptor does).
    public static let envelope = ErrorHTTPStatus(kind: .envelope)

    /// `mapped` or `envelope`; `nil` for anything else.
    public init?(_ name: String) {
        guard let kind = Kind(rawValue: name) else { return nil }
        self.kind = kind
    }

    private init(kind: Kind) {
        self.kind = kind
    }

    public var description: String { kind.rawValue }

    /// The status answering an envelope with `code`.
    func status(for code: ErrorCode) -> Int {
        switch kind {
        case .mapped: code.httpStatus
        case .envelope: 200
        }
    }
}
