public import Foundation
import Synchronization

/// Single-use values (terminal tickets, confirmation tokens) recorded as used. Replicas that
/// share a ledger accept each value once between them.
public protocol NonceLedger: Sendable {
    /// Records `nonce` of `purpose` as used until `expiresAt`; `false` when it already was.
    /// Throws when the ledger cannot be reached: the caller then refuses the value.
    func markUsed(_ nonce: String, purpose: String, expiresAt: Date) async throws -> Bool
}

/// A ledger in this process's memory, for one gateway on its own.
public final class InMemoryNonceLedger: NonceLedger {
    private let used = Mutex<[String: Date]>([:])

    public init() {}

    public func markUsed(_ nonce: String, purpose: String, expiresAt: Date) async throws -> Bool {
        let key = purpose + "\n" + nonce
        let now = Date()
        return used.withLock { used in
            if used.count > 4096 { used = used.filter { $0.value >= now } }
            guard used[key] == nil else { return false }
            used[key] = expiresAt
            return true
        }
    }
}
