import Foundation

extension TerminalTickets {
    /// The grant of `ticket` if it is valid and unused; the ticket is used up either way. With
    /// replicas (``SharedTickets``) any replica's signed ticket is accepted, and the shared ledger
    /// makes the first use, wherever it happens, the only one.
    func redeem(_ ticket: String) async -> TerminalGrant? {
        guard let shared else { return consume(ticket) }
        guard let opened = shared.open(ticket, now: .now), opened.expiresAt > Date() else { return nil }
        let first = try? await shared.ledger.markUsed(
            opened.nonce, purpose: SharedTickets.purpose, expiresAt: opened.expiresAt)
        return first == true ? opened.grant : nil
    }

    /// Ends `ticket` unused: its grant when nobody used it (on any replica), so that its issuer
    /// can clean up after it (a node terminal's debug pod); `nil` when it was used.
    func retire(_ ticket: String) async -> TerminalGrant? {
        guard let shared else { return discard(ticket) }
        guard let opened = shared.open(ticket, now: .now) else { return nil }
        // Recorded for a while past its expiry, so that the answer stays the same for every asker.
        let keep = max(opened.expiresAt, Date()).addingTimeInterval(60)
        let first = try? await shared.ledger.markUsed(opened.nonce, purpose: SharedTickets.purpose, expiresAt: keep)
        return first == true ? opened.grant : nil
    }
}
