import Crypto
import Foundation
import GaleJSON
import GaleProtocol
import Synchronization

/// The confirmation step of sensitive operations (delete, update, drain, restart, registry
/// changes).
///
/// A first call without `confirm_token` changes nothing: it is answered with 1010, a preview of
/// the effect (from a server-side dry run) and a token. The token is an HMAC over the caller, the
/// exact operation, a hash of the request body, the target's `uid` and `resourceVersion` as the
/// preview saw them, a nonce and the expiry. Repeating the same call with it performs the
/// operation once: a token is single-use, and one for a target that changed since the preview
/// (another version, or another object under the same name) is answered with a fresh preview.
struct ConfirmationGate: Sendable {
    /// The object an operation acts on, as read before the preview and again before the action.
    struct Target: Sendable, Hashable {
        var uid: String
        var resourceVersion: String

        init(uid: String, resourceVersion: String) {
            self.uid = uid
            self.resourceVersion = resourceVersion
        }

        /// The target of a Kubernetes object (`metadata.uid`, `metadata.resourceVersion`).
        init(_ object: JSONValue) {
            uid = object["metadata"]?["uid"]?.stringValue ?? ""
            resourceVersion = object["metadata"]?["resourceVersion"]?.stringValue ?? ""
        }
    }

    private let key: SymmetricKey
    let lifetime: Duration
    /// Nonces of tokens already used, with their expiry; a token is accepted once.
    private let used = UsedNonces()
    /// Where used nonces are recorded when replicas share them; `nil`: ``used``, in this process.
    private let ledger: (any NonceLedger)?

    private final class UsedNonces: Sendable {
        let expiries = Mutex<[String: Int64]>([:])
    }

    init(lifetime: Duration = .seconds(120)) {
        key = SymmetricKey(size: .bits256)
        self.lifetime = lifetime
        ledger = nil
    }

    /// A gate whose tokens every replica with the same `key` accepts, once among them all.
    init(key: SymmetricKey, ledger: any NonceLedger, lifetime: Duration = .seconds(120)) {
        self.key = key
        self.lifetime = lifetime
        self.ledger = ledger
    }

    /// Returns when `input` carries a valid, unused token for `operation` on `target` (as read
    /// now); otherwise throws 1010 with `preview()` and a fresh token. `operation` must name the
    /// call exactly, e.g. `"DELETE /deployments/web?cluster=1&namespace=demo"`. A token that is
    /// forged, expired, already used or for another call or body is refused with 1001.
    func require(
        _ input: OperationInput,
        operation: String,
        target: Target? = nil,
        preview: () async throws -> JSONValue
    ) async throws {
        let now = Int64(Date().timeIntervalSince1970)
        let bound = Binding(subject: input.principal.subject, operation: operation, body: Self.bodyHash(input.body))
        if let token = try input.optionalString("confirm_token") {
            switch check(token, bound, target: target, now: now) {
            case .valid(let nonce, let expiry):
                guard try await consume(nonce, expiry: expiry, now: now) else {
                    throw APIError.invalidArgument("confirm_token was already used; ask for a new one")
                }
                return
            case .targetChanged:
                try await ask(bound, target: target, now: now, preview: preview, changed: true)
            case .invalid:
                throw APIError.invalidArgument("confirm_token is invalid or expired for this operation")
            }
        }
        try await ask(bound, target: target, now: now, preview: preview, changed: false)
    }

    /// What a token is bound to besides the target.
    private struct Binding {
        var subject: String
        var operation: String
        var body: String
    }

    private enum Verdict {
        case valid(nonce: String, expiry: Int64)
        case targetChanged
        case invalid
    }

    private func ask(
        _ bound: Binding, target: Target?, now: Int64, preview: () async throws -> JSONValue, changed: Bool
    ) async throws -> Never {
        let expiry = now + lifetime.components.seconds
        let nonce = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let reason = changed ? "changed since the preview; " : ""
        var data: [String: JSONValue] = [
            "confirmation_required": true,
            "operation": .string(bound.operation),
            "confirm_token": .string(token(bound, target: target, nonce: nonce, expiry: expiry)),
            "expires_in": .int(lifetime.components.seconds),
            "preview": try await preview(),
        ]
        if let target {
            data["target"] = ["uid": .string(target.uid), "resourceVersion": .string(target.resourceVersion)]
        }
        throw APIError(
            .confirmationRequired,
            "\(bound.operation) \(reason)needs confirmation: repeat the same call with confirm_token",
            data: .object(data))
    }

    /// `expiry.nonce.uid.resourceVersion.mac`; the uid and version travel so that a token for a
    /// changed target is told apart from a forged one.
    private func token(_ bound: Binding, target: Target?, nonce: String, expiry: Int64) -> String {
        let uid = Self.field(target?.uid ?? "")
        let version = Self.field(target?.resourceVersion ?? "")
        let mac = signature(bound, uid: uid, version: version, nonce: nonce, expiry: expiry)
        return "\(expiry).\(nonce).\(uid).\(version).\(mac)"
    }

    private func check(_ token: String, _ bound: Binding, target: Target?, now: Int64) -> Verdict {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, let expiry = Int64(parts[0]), expiry >= now else { return .invalid }
        let (nonce, uid, version) = (parts[1], parts[2], parts[3])
        let expected = signature(bound, uid: uid, version: version, nonce: nonce, expiry: expiry)
        guard Self.constantTimeEqual(expected, parts[4]) else { return .invalid }
        if let target, uid != Self.field(target.uid) || version != Self.field(target.resourceVersion) {
            return .targetChanged
        }
        return .valid(nonce: nonce, expiry: expiry)
    }

    /// Marks `nonce` used; `false` when it already was.
    private func consume(_ nonce: String, expiry: Int64, now: Int64) async throws -> Bool {
        if let ledger {
            return try await ledger.markUsed(
                nonce, purpose: "confirmation", expiresAt: Date(timeIntervalSince1970: Double(expiry)))
        }
        return used.expiries.withLock { used in
            if used.count > 4096 { used = used.filter { $0.value >= now } }
            guard used[nonce] == nil else { return false }
            used[nonce] = expiry
            return true
        }
    }

    private func signature(_ bound: Binding, uid: String, version: String, nonce: String, expiry: Int64) -> String {
        let message = [bound.subject, bound.operation, bound.body, uid, version, nonce, String(expiry)]
            .joined(separator: "\n")
        return Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key)))
    }

    /// SHA-256 of the request body without `confirm_token`, members sorted: the preview call and
    /// the confirming call must carry the same body.
    static func bodyHash(_ body: JSONValue?) -> String {
        guard var body, body.objectValue != nil else { return "" }
        body["confirm_token"] = nil
        // No body and an empty one are the same call (a DELETE confirmed with a body of its token only).
        guard body.objectValue?.isEmpty == false else { return "" }
        return base64URL(Data(SHA256.hash(data: Data(body.jsonString.utf8))))
    }

    /// A uid or resourceVersion as it travels in a token: URL-safe base64, no dots.
    private static func field(_ text: String) -> String { base64URL(Data(text.utf8)) }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8), b = Array(b.utf8)
        return a.count == b.count && zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
