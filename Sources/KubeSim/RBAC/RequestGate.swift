import Foundation
import HTTPTypes

/// Authentication, impersonation and authorization of one request, in the apiserver's order.
struct RequestGate: Sendable {
    /// Bearer token → identity.
    let tokens: [String: UserInfo]
    let authorizer: RBACAuthorizer

    /// The admin token's identity is ``UserInfo/admin``; every other configured token's user is authenticated
    /// (`system:authenticated` is added to its groups).
    init(adminToken: String, users: [String: UserInfo], authorizer: RBACAuthorizer) {
        var tokens: [String: UserInfo] = [:]
        for (token, user) in users {
            var user = user
            if !user.groups.contains(UserInfo.authenticatedGroup) { user.groups.append(UserInfo.authenticatedGroup) }
            tokens[token] = user
        }
        tokens[adminToken] = .admin
        self.tokens = tokens
        self.authorizer = authorizer
    }

    /// The identity of the request's bearer token, or `nil` without a known one.
    func authenticate(_ headers: HTTPFields) -> UserInfo? {
        guard let value = headers[.authorization], value.count > 7, value.prefix(7).lowercased() == "bearer " else {
            return nil
        }
        return tokens[String(value.dropFirst(7)).trimmingCharacters(in: " ")]
    }

    /// The identity the request acts as, once it is authenticated (401), its impersonation allowed (403) and
    /// the request itself authorized for that identity (403).
    func admit(method: String, path: String, query: QueryParameters, headers: HTTPFields) throws(KubeStatusError)
        -> UserInfo
    {
        guard let caller = authenticate(headers) else { throw .unauthorized }
        let user = try Impersonation.resolve(headers, caller: caller, authorizer: authorizer)
        let request = RequestAttributes(method: method, path: path, query: query, user: user)
        guard authorizer.authorize(request).allowed else { throw .forbidden(request) }
        return user
    }
}
