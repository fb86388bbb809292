import Crypto
import Foundation
import GaleJSON
import GaleProtocol

/// The confirmation step of sensitive operations (delete, update, drain).
///
/// A first call without `confirm_token` changes nothing: it is answered with 1010, a preview of
/// the effect (from a server-side dry run) and a token. The token is an HMAC over the caller,
/// the exact operation and its expiry, so it confirms that one call, for that user, for a short
/// while; repeating the call with it performs the operation.
struct ConfirmationGate: Sendable {
    private let key: SymmetricKey
    let lifetime: Duration

    init(lifetime: Duration = .seconds(120)) {
        key = SymmetricKey(size: .bits256)
        self.lifetime = lifetime
    }

    /// Returns when `input` carries a valid token for `operation`; otherwise throws 1010 with
    /// `preview()` and a fresh token. `operation` must name the call exactly, e.g.
    /// `"DELETE /deployments/web?cluster=1&namespace=demo"`.
    func require(
        _ input: OperationInput,
        operation: String,
        preview: () async throws -> JSONValue
    ) async throws {
        if let token = try input.optionalString("confirm_token") {
            guard valid(token, subject: input.principal.subject, operation: operation) else {
                throw APIError.invalidArgument("confirm_token is invalid or expired for this operation")
            }
            return
        }
        let expiry = Int64(Date().timeIntervalSince1970) + lifetime.components.seconds
        throw APIError(
            .confirmationRequired,
            "\(operation) needs confirmation: repeat the call with confirm_token",
            data: [
                "confirmation_required": true,
                "operation": .string(operation),
                "confirm_token": .string(token(subject: input.principal.subject, operation: operation, expiry: expiry)),
                "expires_in": .int(lifetime.components.seconds),
                "preview": try await preview(),
            ]
        )
    }

    private func token(subject: String, operation: String, expiry: Int64) -> String {
        "\(expiry).\(signature(subject: subject, operation: operation, expiry: expiry))"
    }

    private func valid(_ token: String, subject: String, operation: String) -> Bool {
        let parts = token.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let expiry = Int64(parts[0]), expiry >= Int64(Date().timeIntervalSince1970) else {
            return false
        }
        let expected = signature(subject: subject, operation: operation, expiry: expiry)
        // Constant-time comparison of the two MACs.
        return Data(expected.utf8).withUnsafeBytes { a in
            Data(parts[1].utf8).withUnsafeBytes { b in a.count == b.count && zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0 }
        }
    }

    private func signature(subject: String, operation: String, expiry: Int64) -> String {
        let message = Data("\(subject)\n\(operation)\n\(expiry)".utf8)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: key)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
