import Foundation
import Synchronization

/// What a terminal ticket allows: one exec session into one container, for the user it was
/// issued to.
struct TerminalGrant: Sendable, Hashable {
    /// The JWT subject of the user who asked for the terminal.
    let subject: String
    let clusterID: Int64
    let namespace: String
    let pod: String
    let container: String
    /// When the ticket stops being accepted.
    let expiresAt: ContinuousClock.Instant
}

/// Short-lived, single-use tickets for pod terminals (seed §2.1.7).
///
/// `GET /pods/{name}/terminal` issues a random ticket bound to a ``TerminalGrant``; the exec
/// socket (`/ws/terminal/<ticket>`) calls ``consume(_:)`` once: the ticket is then gone, whether
/// it was still valid or had expired. Tickets live only in memory, so a restart voids them all.
final class TerminalTickets: Sendable {
    /// How long a ticket is accepted after it is issued.
    let lifetime: Duration
    private let tickets = Mutex<[String: TerminalGrant]>([:])

    init(lifetime: Duration = .seconds(60)) {
        self.lifetime = lifetime
    }

    /// Issues a ticket for `subject` to open `container` of `namespace/pod` on cluster `clusterID`.
    func issue(subject: String, clusterID: Int64, namespace: String, pod: String, container: String) -> String {
        let now = ContinuousClock.now
        let grant = TerminalGrant(
            subject: subject, clusterID: clusterID, namespace: namespace, pod: pod, container: container,
            expiresAt: now + lifetime)
        let ticket = Self.randomTicket()
        tickets.withLock { tickets in
            tickets = tickets.filter { $0.value.expiresAt > now }
            tickets[ticket] = grant
        }
        return ticket
    }

    /// The grant of `ticket` if it was issued and has not expired; the ticket is used up either way.
    func consume(_ ticket: String) -> TerminalGrant? {
        guard let grant = tickets.withLock({ $0.removeValue(forKey: ticket) }) else { return nil }
        return grant.expiresAt > ContinuousClock.now ? grant : nil
    }

    /// 256 random bits, base64url without padding (safe in a URL path).
    private static func randomTicket() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
