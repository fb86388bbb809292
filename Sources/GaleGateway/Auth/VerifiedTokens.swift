import Synchronization

/// Claims of tokens whose signature was verified, by the token's exact text, so that a client
/// reconnecting with the same token (thousands at once after a network blip) costs a lookup
/// rather than a signature check and a JSON decode.
///
/// Only the signature is remembered: the time claims are checked again on every use, so an
/// expired token is refused whether it is cached or not. Bounded: past ``capacity`` the oldest
/// entries go first.
final class VerifiedTokens: Sendable {
    let capacity: Int
    private let state: Mutex<State>

    private struct State {
        var claims: [String: TokenClaims] = [:]
        /// Insertion order, for eviction: a ring of `capacity` slots.
        var order: [String?]
        var next = 0
    }

    init(capacity: Int = 16_384) {
        self.capacity = max(1, capacity)
        self.state = Mutex(State(order: Array(repeating: nil, count: max(1, capacity))))
    }

    /// The claims of `token` if it was verified before.
    func claims(of token: String) -> TokenClaims? {
        state.withLock { $0.claims[token] }
    }

    /// Remembers that `token` verified to `claims`.
    func remember(_ token: String, _ claims: TokenClaims) {
        state.withLock { state in
            guard state.claims.updateValue(claims, forKey: token) == nil else { return }
            if let evicted = state.order[state.next] { state.claims[evicted] = nil }
            state.order[state.next] = token
            state.next = (state.next + 1) % capacity
        }
    }

    var count: Int { state.withLock { $0.claims.count } }
}
