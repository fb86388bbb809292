/// What a principal may do. Roles are ordered: each includes the rights of those below it.
public struct Role: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String
    private let rank: Int

    public init?(rawValue: String) {
        switch rawValue {
        case "viewer": self = .viewer
        case "operator": self = .operator
        case "admin": self = .admin
        default: return nil
        }
    }

    private init(name: String, rank: Int) {
        self.rawValue = name
        self.rank = rank
    }

    /// Reads clusters and resources, watches, logs and metrics.
    public static let viewer = Role(name: "viewer", rank: 0)
    /// Everything a viewer does, plus changing resources, exec and file transfer.
    public static let `operator` = Role(name: "operator", rank: 1)
    /// Everything, including the cluster registry.
    public static let admin = Role(name: "admin", rank: 2)

    public static let all: [Role] = [.viewer, .operator, .admin]

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    public var description: String { rawValue }
}
