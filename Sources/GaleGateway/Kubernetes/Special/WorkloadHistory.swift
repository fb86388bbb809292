import GaleJSON
import KubeClient

/// The rollout history of a workload, read the way `kubectl rollout history` reads it: a
/// Deployment's from the ReplicaSets it owns (annotation `deployment.kubernetes.io/revision`),
/// a StatefulSet's or DaemonSet's from the ControllerRevisions it owns (field `revision`).
struct WorkloadHistory: Sendable {
    /// One revision: its number, the object that records it and the pod template it holds.
    struct Revision: Sendable {
        let number: Int64
        let record: JSONValue
        /// The pod template, without the labels controllers add (`pod-template-hash`).
        let template: JSONValue
    }

    static let revisionAnnotation = "deployment.kubernetes.io/revision"
    static let changeCauseAnnotation = "kubernetes.io/change-cause"

    /// The workload, as read when the history was.
    let workload: JSONValue
    /// Oldest first.
    let revisions: [Revision]

    /// Reads the history of `workload` (a deployment, statefulset or daemonset).
    static func read(_ resource: KubeResource, workload: JSONValue, client: KubeClient) async throws -> WorkloadHistory
    {
        let namespace = workload["metadata"]?["namespace"]?.stringValue
        let uid = workload["metadata"]?["uid"]?.stringValue
        let deployment = resource.plural == "deployments"
        let recordKind = ResourceCatalog.standard.resource(named: deployment ? "replicasets" : "controllerrevisions")!
        let list = try await client.list(recordKind, namespace: namespace)
        let owned = (list["items"]?.arrayValue ?? []).filter { item in
            (item["metadata"]?["ownerReferences"]?.arrayValue ?? []).contains {
                $0["uid"]?.stringValue == uid && $0["controller"]?.boolValue != false
            }
        }
        let revisions = owned.compactMap { record -> Revision? in
            if deployment {
                guard
                    let number = record["metadata"]?["annotations"]?[revisionAnnotation]?.stringValue.flatMap({
                        Int64($0)
                    })
                else { return nil }
                return Revision(number: number, record: record, template: podTemplate(record["spec"]?["template"]))
            }
            guard let number = record["revision"]?.intValue else { return nil }
            return Revision(number: number, record: record, template: podTemplate(record["data"]?["spec"]?["template"]))
        }
        return WorkloadHistory(workload: workload, revisions: revisions.sorted { $0.number < $1.number })
    }

    /// The workload's pod template, comparable with a revision's.
    var currentTemplate: JSONValue { Self.podTemplate(workload["spec"]?["template"]) }

    /// The revision `number`, or for 0 the one before the newest (kubectl's "previous revision").
    func revision(_ number: Int64) throws(APIError) -> Revision {
        let kind = workload["kind"]?.stringValue ?? "workload"
        let name = "\(workload["metadata"]?["namespace"]?.stringValue ?? "")/\(SpecialOperations.name(workload))"
        if number == 0 {
            guard revisions.count >= 2 else {
                throw APIError.invalidArgument("\(kind) \(name) has no previous revision to roll back to")
            }
            return revisions[revisions.count - 2]
        }
        guard let found = revisions.last(where: { $0.number == number }) else {
            throw APIError.resourceNotFound("revision \(number) of \(kind) \(name) not found in its history")
        }
        return found
    }

    /// The revisions newest first, as the API shows them: number, name, creation time, images,
    /// change cause, and whether it is the one the workload runs now.
    var json: [JSONValue] {
        let current = currentTemplate
        return revisions.reversed().map { revision in
            let metadata = revision.record["metadata"]
            let containers = revision.template["spec"]?["containers"]?.arrayValue ?? []
            return [
                "revision": .int(revision.number),
                "name": metadata?["name"] ?? .null,
                "created_at": metadata?["creationTimestamp"] ?? .null,
                "images": .array(containers.compactMap { $0["image"] }),
                "change_cause": metadata?["annotations"]?[Self.changeCauseAnnotation] ?? .null,
                "current": .bool(Self.same(revision.template, current)),
            ]
        }
    }

    /// Whether two templates hold the same content, ignoring nulls and empty objects and arrays
    /// (which servers and controllers drop or add freely).
    static func same(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        pruned(lhs) == pruned(rhs)
    }

    private static func pruned(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(
                members.compactMapValues { member in
                    let child = pruned(member)
                    switch child {
                    case .null: return nil
                    case .object(let inner) where inner.isEmpty: return nil
                    case .array(let inner) where inner.isEmpty: return nil
                    default: return child
                    }
                })
        case .array(let elements): return .array(elements.map(pruned))
        default: return value
        }
    }

    /// A pod template without what controllers add to it, so that templates compare by content.
    static func podTemplate(_ template: JSONValue?) -> JSONValue {
        var template = template ?? .object([:])
        template["$patch"] = nil
        if var labels = template["metadata"]?["labels"]?.objectValue {
            labels["pod-template-hash"] = nil
            labels["controller-revision-hash"] = nil
            template["metadata"]?["labels"] = .object(labels)
        }
        return template
    }
}
