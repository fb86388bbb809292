import GaleJSON

extension KubeStatusError {
    /// 403 for a request the authorizer refused, worded as the apiserver words it:
    /// `pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"`.
    static func forbidden(_ request: RequestAttributes, reason: String = "") -> KubeStatusError {
        let user = "User \"\(request.user.name)\""
        var cause: String
        if request.isResourceRequest {
            cause =
                "\(user) cannot \(request.verb) resource \"\(request.qualifiedResource)\" in API group \"\(request.apiGroup)\""
            cause += request.namespace.isEmpty ? " at the cluster scope" : " in the namespace \"\(request.namespace)\""
        } else {
            cause = "\(user) cannot \(request.verb) path \"\(request.path)\""
        }
        if !reason.isEmpty { cause += ": \(reason)" }
        let resource = request.apiGroup.isEmpty ? request.resource : "\(request.resource).\(request.apiGroup)"
        let message: String
        if request.resource.isEmpty {
            message = "forbidden: \(cause)"
        } else if request.name.isEmpty {
            message = "\(resource) is forbidden: \(cause)"
        } else {
            message = "\(resource) \"\(request.name)\" is forbidden: \(cause)"
        }
        var details: JSONValue = ["kind": .string(request.resource)]
        if !request.name.isEmpty { details["name"] = .string(request.name) }
        if !request.apiGroup.isEmpty { details["group"] = .string(request.apiGroup) }
        return KubeStatusError(code: 403, reason: "Forbidden", message: message, details: details)
    }
}
