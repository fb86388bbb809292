import Crypto
import Foundation

/// How terminal tickets work when several gateway replicas share a store: a ticket is the grant
/// itself, signed with a key every replica derives from the shared seal key, so any replica can
/// open the terminal; the shared ``NonceLedger`` lets exactly one use count.
struct SharedTickets: Sendable {
    let key: SymmetricKey
    let ledger: any NonceLedger

    /// The ledger's purpose for terminal tickets.
    static let purpose = "terminal-ticket"

    /// What a signed ticket carries (short names keep ticket URLs short).
    private struct Payload: Codable {
        var n: String  // nonce
        var s: String  // subject
        var r: String  // role
        var c: [String]  // cluster scope claim
        var g: [String]  // groups
        var pe: Double  // when the subject's token expires
        var id: Int64
        var ns: String
        var p: String
        var ct: String
        var cmd: [String]
        var d: Bool  // the pod is a node debug pod
        var x: Double  // when the ticket expires
    }

    /// The ticket of `grant`, valid until `expiresAt`: `payload.mac`, both base64url.
    func sign(_ grant: TerminalGrant, expiresAt: Date) -> String {
        let payload = Payload(
            n: Self.randomNonce(), s: grant.principal.subject, r: grant.principal.role.rawValue,
            c: grant.principal.clusters.claim, g: grant.principal.groups,
            pe: grant.principal.expiresAt.timeIntervalSince1970, id: grant.clusterID, ns: grant.namespace,
            p: grant.pod, ct: grant.container, cmd: grant.command, d: grant.deletesPod,
            x: expiresAt.timeIntervalSince1970)
        // Encoding this plain struct cannot fail.
        let body = Self.base64URL((try? JSONEncoder().encode(payload)) ?? Data())
        return body + "." + mac(body)
    }

    /// The grant of a ticket this key signed, with its nonce and wall-clock expiry, whether or
    /// not it expired; `nil` for anything else.
    func open(_ ticket: String, now: ContinuousClock.Instant) -> (grant: TerminalGrant, nonce: String, expiresAt: Date)? {
        let parts = ticket.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, Self.constantTimeEqual(mac(parts[0]), parts[1]),
            let data = Self.data(base64URL: parts[0]),
            let payload = try? JSONDecoder().decode(Payload.self, from: data),
            let role = Role(rawValue: payload.r)
        else { return nil }
        let principal = Principal(
            subject: payload.s, role: role, clusters: .init(claim: payload.c),
            expiresAt: Date(timeIntervalSince1970: payload.pe), groups: payload.g)
        let expiresAt = Date(timeIntervalSince1970: payload.x)
        let grant = TerminalGrant(
            principal: principal, clusterID: payload.id, namespace: payload.ns, pod: payload.p, container: payload.ct,
            command: payload.cmd, deletesPod: payload.d,
            expiresAt: now + .milliseconds(Int64(expiresAt.timeIntervalSinceNow * 1000)))
        return (grant, payload.n, expiresAt)
    }

    private func mac(_ body: String) -> String {
        Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: key)))
    }

    /// A key for `purpose` derived from the shared seal key (HKDF-SHA256), so replicas given the
    /// same seal key agree on it and no further secret needs distributing.
    static func derivedKey(from sealKey: Data, purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: sealKey), info: Data("kubegale/\(purpose)/v1".utf8), outputByteCount: 32)
    }

    private static func randomNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return base64URL(Data((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }))
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func data(base64URL text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8), b = Array(b.utf8)
        return a.count == b.count && zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
