import Foundation
import HTTPTypes

/// The impersonation headers (`Impersonate-User`, `Impersonate-Group`, `Impersonate-Uid`, `Impersonate-Extra-*`),
/// checked the way the apiserver's impersonation filter checks them: each requested user, service account,
/// group, uid and extra value needs the `impersonate` verb on it, authorized for the caller.
enum Impersonation {
    static let userHeader = HTTPField.Name("Impersonate-User")!
    static let groupHeader = HTTPField.Name("Impersonate-Group")!
    static let uidHeader = HTTPField.Name("Impersonate-Uid")!
    static let extraPrefix = "impersonate-extra-"

    /// The identity the request acts as: the caller itself without impersonation headers, else the impersonated
    /// user. Throws 403 when the caller may not impersonate a part of it, and 500 (as the apiserver answers) for
    /// groups, uid or extras without a user.
    static func resolve(_ headers: HTTPFields, caller: UserInfo, authorizer: RBACAuthorizer) throws(KubeStatusError)
        -> UserInfo
    {
        let userName = headers[userHeader] ?? ""
        let groups = headers[values: groupHeader]
        let uid = headers[uidHeader] ?? ""
        var extra: [String: [String]] = [:]
        for field in headers where field.name.canonicalName.hasPrefix(extraPrefix) {
            let key = String(field.name.canonicalName.dropFirst(extraPrefix.count))
            extra[key.removingPercentEncoding ?? key, default: []].append(field.value)
        }
        if userName.isEmpty {
            guard groups.isEmpty, uid.isEmpty, extra.isEmpty else {
                throw KubeStatusError.internalError(
                    "Internal error occurred: requested impersonation of groups, uid or extra without impersonating a user"
                )
            }
            return caller
        }
        var result = UserInfo(name: userName)
        func check(_ request: RequestAttributes) throws(KubeStatusError) {
            var request = request
            request.user = caller
            request.verb = "impersonate"
            guard authorizer.authorize(request).allowed else { throw KubeStatusError.forbidden(request) }
        }
        if let account = result.serviceAccount {
            try check(
                RequestAttributes(
                    user: caller, verb: "", resource: "serviceaccounts", namespace: account.namespace,
                    name: account.name))
            if groups.isEmpty { result.groups = UserInfo.serviceAccountGroups(namespace: account.namespace) }
        } else {
            try check(RequestAttributes(user: caller, verb: "", resource: "users", name: userName))
        }
        for group in groups {
            try check(RequestAttributes(user: caller, verb: "", resource: "groups", name: group))
            result.groups.append(group)
        }
        if !uid.isEmpty {
            try check(
                RequestAttributes(
                    user: caller, verb: "", apiGroup: "authentication.k8s.io", resource: "uids", name: uid))
            result.uid = uid
        }
        for key in extra.keys.sorted() {
            for value in extra[key] ?? [] {
                try check(
                    RequestAttributes(
                        user: caller, verb: "", apiGroup: "authentication.k8s.io", resource: "userextras",
                        subresource: key, name: value))
            }
        }
        result.extra = extra
        // Like the apiserver: an impersonated user other than anonymous is authenticated, unless the caller
        // asked for system:unauthenticated explicitly.
        let marker = userName == UserInfo.anonymousName ? UserInfo.unauthenticatedGroup : UserInfo.authenticatedGroup
        if !result.groups.contains(UserInfo.authenticatedGroup), !result.groups.contains(UserInfo.unauthenticatedGroup)
        {
            result.groups.append(marker)
        }
        return result
    }
}
