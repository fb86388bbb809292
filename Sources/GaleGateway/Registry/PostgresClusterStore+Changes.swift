import Foundation
import Logging
import PostgresNIO

/// Registry changes between replicas: `NOTIFY` on write, `LISTEN` to follow.
extension PostgresClusterStore {
    /// `pg_notify` inside the writing transaction: delivered on commit, never for a rolled-back write.
    static func notify(
        _ connection: PostgresConnection, _ kind: ClusterChange.Kind, id: Int64, origin: String, logger: Logger
    ) async throws {
        let payload = "\(kind.rawValue):\(id):\(origin)"
        try await connection.query("SELECT pg_notify(\(changeChannel), \(payload))", logger: logger)
    }

    /// Listens on the change channel over a connection of its own, re-established after any
    /// loss (with a ``ClusterChange/Kind/resync`` then, as changes may have been missed).
    public func followChanges(_ onChange: @escaping @Sendable (ClusterChange) async -> Void) async throws {
        var connected = false
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.changeChannel) { notifications in
                        if connected { await onChange(ClusterChange(.resync)) }
                        connected = true
                        for try await notification in notifications {
                            guard let change = self.change(from: notification.payload) else { continue }
                            await onChange(change)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning(
                    "listening for registry changes failed; retrying", metadata: ["reason": "\(Self.plainReason(error))"])
            }
            connected = true
            try await Task.sleep(for: .seconds(1))
        }
        throw CancellationError()
    }

    /// `kind:id:origin`; `nil` for this process's own changes and anything malformed.
    private func change(from payload: String) -> ClusterChange? {
        let parts = payload.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2] != origin, let kind = ClusterChange.Kind(rawValue: String(parts[0])),
            let id = Int64(parts[1])
        else { return nil }
        return ClusterChange(kind, id: id)
    }
}
