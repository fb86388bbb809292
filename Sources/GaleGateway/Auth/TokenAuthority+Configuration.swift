extension TokenAuthority {
    /// What a token must carry to be accepted, how its claims map onto a ``Principal``, and the
    /// limits of the tokens the gateway mints. Every field has a default.
    public struct Configuration: Sendable {
        /// Required `iss`: when set, tokens without it or naming another issuer are refused (2001).
        /// The gateway's own tokens carry it.
        public var issuer: String?
        /// Required `aud`: when set, tokens whose audience (a string or an array) does not include
        /// it are refused (2001). The gateway's own tokens carry it.
        public var audience: String?
        /// Clock skew tolerated on `exp`, `nbf` and `iat`.
        public var leeway: Duration
        /// Longest lifetime of a token the gateway mints; longer requests are refused.
        public var maxTTL: Duration
        /// Claim naming the user (sent upstream as `Impersonate-User`).
        public var userClaim: String
        /// Claim listing the user's groups: an array of strings, optional.
        public var groupsClaim: String
        /// A JSON Web Key Set (RFC 7517): RS256 and ES256 tokens whose `kid` names one of its keys
        /// are accepted.
        public var jwksJSON: String?

        public init(
            issuer: String? = nil,
            audience: String? = nil,
            leeway: Duration = .seconds(30),
            maxTTL: Duration = .seconds(24 * 3600),
            userClaim: String = "sub",
            groupsClaim: String = "groups",
            jwksJSON: String? = nil
        ) {
            self.issuer = issuer
            self.audience = audience
            self.leeway = leeway
            self.maxTTL = maxTTL
            self.userClaim = userClaim
            self.groupsClaim = groupsClaim
            self.jwksJSON = jwksJSON
        }
    }
}
