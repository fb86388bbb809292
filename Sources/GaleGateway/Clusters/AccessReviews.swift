import GaleJSON
import GaleProtocol
import KubeClient
import Logging

/// Asks a cluster whether a user may do something (`SubjectAccessReview`), for the reads the
/// gateway serves from its shared caches instead of calling the cluster as the user.
///
/// A shared watch runs under the gateway's identity so that one upstream watch serves everyone;
/// each subscriber is authorized here, so the cluster's RBAC still decides what each user sees.
/// Answers are reused for ``ImpersonationConfiguration/accessReviewTTL``, then asked again.
actor AccessReviews {
    /// What is asked: Kubernetes' resource attributes for one user.
    struct Question: Hashable, Sendable {
        var cluster: Int64
        var user: String
        var groups: [String]
        var verb: String
        var group: String
        var resource: String
        var subresource: String?
        var namespace: String?
        var name: String?
    }

    private struct Answer {
        var allowed: Bool
        var reason: String
        var expires: ContinuousClock.Instant
    }

    private static let reviews = KubeResource(
        group: "authorization.k8s.io", version: "v1", plural: "subjectaccessreviews", kind: "SubjectAccessReview",
        namespaced: false)
    /// Answers kept at most; expired ones are dropped first when full.
    private static let capacity = 10_000

    private let connections: ClusterConnections
    private let logger: Logger
    private var answers: [Question: Answer] = [:]

    init(connections: ClusterConnections, logger: Logger) {
        self.connections = connections
        self.logger = logger
    }

    /// Throws 1005 unless `principal` may `verb` the `resource` objects of `record` (in
    /// `namespace`, every namespace for `nil`). Clusters that do not impersonate their users
    /// leave the decision to the gateway's roles, checked by the caller; nothing is asked then.
    func authorize(
        _ principal: Principal, on record: ClusterRecord, verb: String, resource: KubeResource,
        subresource: String? = nil, namespace: String?, name: String? = nil
    ) async throws(APIError) {
        guard let identity = connections.identity(of: principal, on: record) else { return }
        let question = Question(
            cluster: record.id, user: identity.user, groups: identity.groups, verb: verb, group: resource.group,
            resource: resource.plural, subresource: subresource, namespace: resource.namespaced ? namespace : nil,
            name: name)
        let answer = try await answer(question, record: record)
        guard answer.allowed else {
            let place = question.namespace.map { "in namespace \"\($0)\"" } ?? "in every namespace"
            let what = subresource.map { "\(resource.plural)/\($0)" } ?? resource.plural
            throw APIError.forbidden(
                "the cluster's RBAC does not let \(identity.user) \(verb) \(what) \(place)"
                    + (answer.reason.isEmpty ? "" : ": \(answer.reason)"))
        }
    }

    private func answer(_ question: Question, record: ClusterRecord) async throws(APIError) -> Answer {
        let now = ContinuousClock.now
        if let cached = answers[question], cached.expires > now { return cached }
        let reply: KubeJSON
        do {
            let client = try await connections.client(for: record, as: nil)
            reply = try await client.create(Self.reviews, namespace: nil, object: Self.body(question))
        } catch let error as APIError {
            throw error
        } catch let error as KubeError {
            logger.warning(
                "access review failed", metadata: ["cluster.id": "\(question.cluster)", "error": "\(error.message)"])
            // The gateway's own identity may not ask: nobody can be authorized through it.
            throw error.isForbidden
                ? APIError.forbidden("the cluster does not let the gateway review access; ask its administrator")
                : APIError(error, verb: .read)
        } catch {
            throw APIError(.clusterUnreachable, "cannot review access: \(APIError.reason(of: error))")
        }
        let status = reply["status"]
        let answer = Answer(
            allowed: status?["allowed"]?.boolValue == true && status?["denied"]?.boolValue != true,
            reason: status?["reason"]?.stringValue ?? "",
            expires: now.advanced(by: connections.impersonation.accessReviewTTL))
        store(answer, for: question, now: now)
        return answer
    }

    private func store(_ answer: Answer, for question: Question, now: ContinuousClock.Instant) {
        if answers.count >= Self.capacity {
            answers = answers.filter { $0.value.expires > now }
            if answers.count >= Self.capacity { answers.removeAll(keepingCapacity: true) }
        }
        answers[question] = answer
    }

    /// Forgets every answer about `cluster` (its RBAC may have changed with its identity).
    func forget(cluster: Int64) {
        answers = answers.filter { $0.key.cluster != cluster }
    }

    private static func body(_ question: Question) -> KubeJSON {
        var attributes: [String: JSONValue] = [
            "verb": .string(question.verb), "group": .string(question.group), "resource": .string(question.resource),
        ]
        if let subresource = question.subresource { attributes["subresource"] = .string(subresource) }
        if let namespace = question.namespace { attributes["namespace"] = .string(namespace) }
        if let name = question.name { attributes["name"] = .string(name) }
        return [
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": .object([
                "user": .string(question.user),
                "groups": .array(question.groups.map { .string($0) }),
                "resourceAttributes": .object(attributes),
            ]),
        ]
    }
}
