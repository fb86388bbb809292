import GaleJSON
import HTTPTypes
import KubeClient

/// Seed §2.2.6–§2.2.8 for every workload kind: scale, rollback and revisions.
struct WorkloadOperations: Sendable {
    let access: ClusterAccess

    static let kinds = ["deployments", "statefulsets", "daemonsets", "jobs", "cronjobs"]

    var operations: [Operation] {
        Self.kinds.flatMap { plural -> [Operation] in
            let resource = ResourceCatalog.standard.resource(named: plural)!
            let item = "/\(plural)/{name}"
            return [
                Operation(.post, PathTemplate(item + "/scale"), role: .operator, action: "scale \(plural)") { input in
                    try await scale(resource, input)
                },
                Operation(.post, PathTemplate(item + "/rollback"), role: .operator, action: "roll back \(plural)") {
                    try await rollback(resource, $0)
                },
                Operation(.get, PathTemplate(item + "/revisions"), role: .viewer, action: "read \(plural) history") {
                    try await revisions(resource, $0)
                },
            ]
        }
    }

    /// Sets `replicas` through the `scale` subresource, as `kubectl scale` does; answers the new
    /// `Scale`. Only Deployments and StatefulSets have a replica count: a DaemonSet runs one pod
    /// per eligible node, and Jobs and CronJobs run to completion (kubectl no longer scales them;
    /// their `parallelism` is part of the spec, changed by an update).
    func scale(_ resource: KubeResource, _ input: OperationInput) async throws -> JSONValue {
        switch resource.plural {
        case "daemonsets":
            throw APIError.invalidArgument(
                "a DaemonSet runs one pod on every eligible node and has no replica count; "
                    + "change its node selector instead")
        case "jobs", "cronjobs":
            throw APIError.invalidArgument(
                "\(resource.kind)s run to completion and cannot be scaled; "
                    + "change spec.parallelism with an update instead")
        default: break
        }
        let namespace = try SpecialOperations.namespace(input)
        let name = try input.string("name")
        guard let replicas = try input.optionalInt("replicas") else {
            throw APIError.invalidArgument("missing parameter \"replicas\"")
        }
        guard (0...100_000).contains(replicas) else {
            throw APIError.invalidArgument("parameter \"replicas\" must be between 0 and 100000")
        }
        return try await access.call(input, verb: .update) { client in
            try await client.updateScale(resource, namespace: namespace, name: name, replicas: Int(replicas))
        }
    }

    /// Rolls back to `revision` exactly as `kubectl rollout undo --to-revision` does (0 or absent:
    /// the previous revision): the revision's pod template is written back into the workload, and
    /// for a Deployment the annotations of the revision's ReplicaSet too. A paused Deployment is
    /// refused, and a template that already matches is reported as skipped, as kubectl does.
    func rollback(_ resource: KubeResource, _ input: OperationInput) async throws -> JSONValue {
        try Self.requireHistory(resource)
        let namespace = try SpecialOperations.namespace(input)
        let name = try input.string("name")
        let number = try input.optionalInt("revision") ?? 0
        guard number >= 0 else { throw APIError.invalidArgument("parameter \"revision\" must not be negative") }
        return try await access.call(input, verb: .update) { client in
            let workload = try await client.get(resource, namespace: namespace, name: name)
            if workload["spec"]?["paused"]?.boolValue == true {
                throw APIError.invalidArgument("you cannot roll back a paused deployment; resume it first")
            }
            let history = try await WorkloadHistory.read(resource, workload: workload, client: client)
            let target = try history.revision(number)
            if WorkloadHistory.same(target.template, history.currentTemplate) {
                return [
                    "rolled_back": false, "revision": .int(target.number),
                    "message": .string("skipped rollback (current template already matches revision \(target.number))"),
                ]
            }
            // Like kubectl, no resourceVersion precondition: controllers update the workload's
            // status all the time, and the template written is the whole of the change.
            var patch: [JSONValue] = [["op": "add", "path": "/spec/template", "value": target.template]]
            if resource.plural == "deployments" {
                patch.append([
                    "op": "add", "path": "/metadata/annotations",
                    "value": Self.annotations(workload, from: target.record),
                ])
            }
            let updated = try await client.patch(
                resource, namespace: namespace, name: name, patch: .array(patch), type: .json)
            return ["rolled_back": true, "revision": .int(target.number), "object": updated]
        }
    }

    /// The workload's revisions, newest first, paged.
    func revisions(_ resource: KubeResource, _ input: OperationInput) async throws -> JSONValue {
        try Self.requireHistory(resource)
        let namespace = try SpecialOperations.namespace(input)
        let name = try input.string("name")
        let paging = try input.paging()
        return try await access.call(input) { client in
            let workload = try await client.get(resource, namespace: namespace, name: name)
            return SpecialOperations.page(
                try await WorkloadHistory.read(resource, workload: workload, client: client).json, paging)
        }
    }

    /// Jobs and CronJobs keep no revisions: each run is a new Job.
    private static func requireHistory(_ resource: KubeResource) throws(APIError) {
        guard resource.plural == "jobs" || resource.plural == "cronjobs" else { return }
        throw APIError.invalidArgument(
            "\(resource.kind)s keep no revision history to roll back to; each run is a new Job")
    }

    /// Annotations kubectl never copies from a ReplicaSet back into its Deployment.
    private static let skippedAnnotations: Set<String> = [
        "kubectl.kubernetes.io/last-applied-configuration", WorkloadHistory.revisionAnnotation,
        "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to",
    ]

    /// The annotations kubectl writes back: the deployment's own bookkeeping annotations (the
    /// skipped ones) kept, every other annotation taken from the ReplicaSet (change cause, ...).
    private static func annotations(_ deployment: JSONValue, from replicaSet: JSONValue) -> JSONValue {
        var annotations = (deployment["metadata"]?["annotations"]?.objectValue ?? [:]).filter {
            skippedAnnotations.contains($0.key)
        }
        for (key, value) in replicaSet["metadata"]?["annotations"]?.objectValue ?? [:]
        where !skippedAnnotations.contains(key) {
            annotations[key] = value
        }
        return .object(annotations)
    }
}
