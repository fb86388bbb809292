import Foundation
import GaleJSON

/// The review resources, answered at once and never stored: `authorization.k8s.io/v1` SubjectAccessReview,
/// LocalSubjectAccessReview, SelfSubjectAccessReview and SelfSubjectRulesReview, and `authentication.k8s.io/v1`
/// SelfSubjectReview (`kubectl auth can-i`, `kubectl auth can-i --list`, `kubectl auth whoami`).
struct AccessReviews: Sendable {
    let authorizer: RBACAuthorizer

    /// Answers a created review for `requester`: the object with its `status` filled in.
    func answer(_ type: ResourceType, namespace: String?, body: JSONValue, requester: UserInfo) throws(KubeStatusError)
        -> JSONValue
    {
        var review = body
        review["apiVersion"] = .string(type.apiVersion)
        review["kind"] = .string(type.kind)
        var metadata = body["metadata"]?.objectValue ?? [:]
        metadata["creationTimestamp"] = .string(KubeTime.format(Date()))
        review["metadata"] = .object(metadata)
        let spec = body["spec"] ?? .object([:])
        switch type {
        case ResourceCatalog.selfSubjectReviews:
            review["status"] = ["userInfo": requester.json]
        case ResourceCatalog.selfSubjectRulesReviews:
            let namespace = spec["namespace"]?.stringValue ?? ""
            review["status"] = rulesStatus(authorizer.rules(for: requester, namespace: namespace))
        case ResourceCatalog.selfSubjectAccessReviews:
            review["status"] = try decide(spec, as: requester, type: type, requiredNamespace: nil)
        case ResourceCatalog.subjectAccessReviews, ResourceCatalog.localSubjectAccessReviews:
            let user = UserInfo(
                name: spec["user"]?.stringValue ?? "", uid: spec["uid"]?.stringValue ?? "",
                groups: (spec["groups"]?.arrayValue ?? []).compactMap(\.stringValue),
                extra: (spec["extra"]?.objectValue ?? [:]).mapValues { ($0.arrayValue ?? []).compactMap(\.stringValue) }
            )
            guard !user.name.isEmpty || !user.groups.isEmpty else {
                throw .invalid(
                    type, "", field: "spec.user", "Invalid value: \"\": at least one of user or group must be specified"
                )
            }
            let local = type == ResourceCatalog.localSubjectAccessReviews ? namespace ?? "" : nil
            review["status"] = try decide(spec, as: user, type: type, requiredNamespace: local)
        default:
            throw KubeStatusError.methodNotAllowed()
        }
        return review
    }

    /// `status` of an access review: `allowed`, and `reason` when a binding allowed it.
    private func decide(_ spec: JSONValue, as user: UserInfo, type: ResourceType, requiredNamespace: String?)
        throws(KubeStatusError) -> JSONValue
    {
        let request: RequestAttributes
        switch (spec["resourceAttributes"]?.objectValue, spec["nonResourceAttributes"]?.objectValue) {
        case (let resource?, nil):
            let attribute = { (key: String) in resource[key]?.stringValue ?? "" }
            request = RequestAttributes(
                user: user, verb: attribute("verb"), apiGroup: attribute("group"), apiVersion: attribute("version"),
                resource: attribute("resource"), subresource: attribute("subresource"),
                namespace: attribute("namespace"),
                name: attribute("name"))
            if let requiredNamespace, request.namespace != requiredNamespace {
                throw .invalid(
                    type, "", field: "spec.resourceAttributes.namespace",
                    "Invalid value: \"\(request.namespace)\": must match metadata.namespace")
            }
        case (nil, let nonResource?):
            request = RequestAttributes(
                user: user, verb: nonResource["verb"]?.stringValue ?? "", path: nonResource["path"]?.stringValue ?? "")
        default:
            throw .invalid(
                type, "", field: "spec.resourceAttributes",
                "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified")
        }
        let decision = authorizer.authorize(request)
        var status: JSONValue = ["allowed": .bool(decision.allowed)]
        if !decision.reason.isEmpty { status["reason"] = .string(decision.reason) }
        return status
    }

    /// `status` of a rules review: resource and non-resource rules, complete.
    private func rulesStatus(_ rules: [PolicyRule]) -> JSONValue {
        var resourceRules: [JSONValue] = []
        var nonResourceRules: [JSONValue] = []
        for rule in rules {
            func list(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
            if !rule.resources.isEmpty {
                var entry: JSONValue = [
                    "verbs": list(rule.verbs), "apiGroups": list(rule.apiGroups), "resources": list(rule.resources),
                ]
                if !rule.resourceNames.isEmpty { entry["resourceNames"] = list(rule.resourceNames) }
                resourceRules.append(entry)
            }
            if !rule.nonResourceURLs.isEmpty {
                nonResourceRules.append(["verbs": list(rule.verbs), "nonResourceURLs": list(rule.nonResourceURLs)])
            }
        }
        return [
            "resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules), "incomplete": false,
        ]
    }
}
