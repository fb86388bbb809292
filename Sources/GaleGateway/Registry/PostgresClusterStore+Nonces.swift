import Foundation
import PostgresNIO

extension PostgresClusterStore: NonceLedger {
    /// Inserts the nonce; the primary key makes the second insert of the same one a no-op, so
    /// exactly one replica gets `true`. Expired nonces are swept now and then.
    public func markUsed(_ nonce: String, purpose: String, expiresAt: Date) async throws -> Bool {
        let expiry = expiresAt.timeIntervalSince1970
        let now = Date().timeIntervalSince1970
        let sweep = UInt8.random(in: 0...255) == 0
        return try await perform { client in
            if sweep { for try await _ in try await client.query("DELETE FROM used_nonce WHERE expires_at < \(now)") {} }
            var inserted = false
            for try await _ in try await client.query(
                """
                INSERT INTO used_nonce (purpose, nonce, expires_at) VALUES (\(purpose), \(nonce), \(expiry))
                ON CONFLICT DO NOTHING RETURNING nonce
                """)
            {
                inserted = true
            }
            return inserted
        }
    }
}
