import Foundation
import GaleJSON
import Synchronization

/// What a terminal ticket allows: one exec session into one container, for the user it was
/// issued to.
struct TerminalGrant: Sendable, Hashable {
    /// The caller the ticket was issued to: its role and cluster scope are checked again when the
    /// ticket is used, and the terminal ends when its token expires.
    let principal: Principal
    let clusterID: Int64
    let namespace: String
    let pod: String
    let container: String
    /// What runs in the container.
    let command: [String]
    /// Whether the pod is a node debug pod, deleted when the terminal ends or the ticket expires unused.
    let deletesPod: Bool
    /// When the ticket stops being accepted.
    let expiresAt: ContinuousClock.Instant

    /// The JWT subject of the user who asked for the terminal.
    var subject: String { principal.subject }
}

/// Short-lived, single-use tickets for pod and node terminals (seed §2.1.7, §7.8).
///
/// `GET /pods/{name}/terminal` issues a random ticket bound to a ``TerminalGrant``; the terminal
/// socket (`/ws/terminal/<ticket>`) calls ``consume(_:)`` once: the ticket is then gone, whether
/// it was still valid or had expired. Tickets live only in memory, so a restart voids them all.
/// With replicas sharing a store (``shared``), tickets are signed grants any replica accepts, once
/// among them all: ``redeem(_:)`` and ``retire(_:)`` then stand for consume and discard.
final class TerminalTickets: Sendable {
    /// How long a ticket is accepted after it is issued.
    let lifetime: Duration
    private let tickets = Mutex<[String: TerminalGrant]>([:])
    /// The time now (a test advances its own).
    private let now: @Sendable () -> ContinuousClock.Instant
    /// Signing key and used-ticket ledger shared by replicas; `nil` for one process on its own.
    let shared: SharedTickets?

    init(
        lifetime: Duration = .seconds(60), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        shared: SharedTickets? = nil
    ) {
        self.lifetime = lifetime
        self.now = now
        self.shared = shared
    }

    /// Issues a ticket for `principal` to run `command` in `container` of `namespace/pod` on
    /// cluster `clusterID`. A ticket with `deletesPod` is not dropped when it expires: whoever
    /// issued it removes it with ``discard(_:)`` and deletes the pod.
    func issue(
        for principal: Principal, clusterID: Int64, namespace: String, pod: String, container: String,
        command: [String] = ["sh"], deletesPod: Bool = false
    ) -> String {
        let now = now()
        let grant = TerminalGrant(
            principal: principal, clusterID: clusterID, namespace: namespace, pod: pod, container: container,
            command: command, deletesPod: deletesPod, expiresAt: now + lifetime)
        if let shared {
            return shared.sign(grant, expiresAt: Date().addingTimeInterval(lifetime / .seconds(1)))
        }
        let ticket = Self.randomTicket()
        tickets.withLock { tickets in
            tickets = tickets.filter { $0.value.expiresAt > now || $0.value.deletesPod }
            tickets[ticket] = grant
        }
        return ticket
    }

    /// A ticket for a caller known only by its subject: operator role, scoped to `clusterID`
    /// alone, its token valid as long as the ticket.
    func issue(subject: String, clusterID: Int64, namespace: String, pod: String, container: String) -> String {
        let principal = Principal(
            subject: subject, role: .operator, clusters: .only([String(clusterID)]),
            expiresAt: Date().addingTimeInterval(Double(lifetime.components.seconds) + 1))
        return issue(for: principal, clusterID: clusterID, namespace: namespace, pod: pod, container: container)
    }

    /// The grant of `ticket` if it was issued and has not expired; the ticket is used up either way.
    func consume(_ ticket: String) -> TerminalGrant? {
        guard let grant = discard(ticket) else { return nil }
        return grant.expiresAt > now() ? grant : nil
    }

    /// Removes `ticket` whether or not it expired; its grant when it was still there (unused).
    func discard(_ ticket: String) -> TerminalGrant? {
        tickets.withLock { $0.removeValue(forKey: ticket) }
    }

    /// The answer of a terminal request: `terminal_url` on `origin` (`ws://host:port`),
    /// `terminal_path` for clients that resolve it themselves, the ticket and its lifetime.
    func links(ticket: String, origin: String) -> [String: JSONValue] {
        [
            "terminal_url": .string("\(origin)/ws/terminal/\(ticket)"),
            "terminal_path": .string("/ws/terminal/\(ticket)"),
            "token": .string(ticket),
            "expires_in": .int(lifetime.components.seconds),
        ]
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
