import Foundation
import GaleJSON
import Hummingbird

/// `pods/NAME/ephemeralcontainers`, the subresource `kubectl debug` patches: only `spec.ephemeralContainers`
/// changes, existing ephemeral containers stay as they are, and each new one starts at once (its status in
/// `status.ephemeralContainerStatuses` is running) so that `kubectl debug -it` can attach to it.
extension APIHandler {
    func handleEphemeralContainers(_ request: Request, context: SimRequestContext, namespace: String, name: String, dryRun: Bool)
        async throws -> Response
    {
        let pods = ResourceCatalog.pods
        switch request.method {
        case .get:
            return Self.json(try store.get(pods, namespace: namespace, name: name))
        case .patch, .put:
            // PATCH carries a patch of the pod, PUT the whole pod; either way only its ephemeral containers count.
            let format: PatchFormat?
            let body: JSONValue
            if request.method == .patch {
                let patch = try await readPatch(request, context: context)
                format = patch.0
                body = patch.1
            } else {
                format = nil
                body = try await readBody(request, context: context)
            }
            let now = KubeTime.format(Date())
            let updated = try store.modify(pods, namespace: namespace, name: name, dryRun: dryRun) { pod throws(KubeStatusError) in
                var wanted = body
                if let format { wanted = try pod.patched(format, with: body) }
                pod = try EphemeralContainers.apply(wanted[path: ["spec", "ephemeralContainers"]]?.arrayValue ?? [], to: pod, now: now)
            }
            return Self.json(updated)
        default:
            throw KubeStatusError.methodNotAllowed()
        }
    }
}

/// The rules of the ephemeral containers subresource, as the apiserver validates them.
enum EphemeralContainers {
    /// `pod` with `requested` as its ephemeral containers and a running status for each new one.
    static func apply(_ requested: [JSONValue], to pod: JSONValue, now: String) throws(KubeStatusError) -> JSONValue {
        let name = pod[path: ["metadata", "name"]]?.stringValue ?? ""
        func invalid(_ field: String, _ message: String) -> KubeStatusError {
            .invalid(ResourceCatalog.pods, name, field: field, message)
        }
        let existing = pod[path: ["spec", "ephemeralContainers"]]?.arrayValue ?? []
        for (index, old) in existing.enumerated() {
            guard let kept = requested.first(where: { $0["name"] == old["name"] }) else {
                throw invalid("spec.ephemeralContainers", "Forbidden: existing ephemeral containers \"\(old["name"]?.stringValue ?? "")\" may not be removed")
            }
            guard kept == old else {
                throw invalid("spec.ephemeralContainers[\(index)]", "Forbidden: existing ephemeral containers may not be changed")
            }
        }
        let regular = ((pod[path: ["spec", "containers"]]?.arrayValue ?? []) + (pod[path: ["spec", "initContainers"]]?.arrayValue ?? []))
            .compactMap { $0["name"]?.stringValue }
        var seen = Set(regular)
        var statuses = pod[path: ["status", "ephemeralContainerStatuses"]]?.arrayValue ?? []
        for (index, container) in requested.enumerated() {
            let field = "spec.ephemeralContainers[\(index)]"
            guard let containerName = container["name"]?.stringValue, !containerName.isEmpty else {
                throw invalid("\(field).name", "Required value")
            }
            guard containerName.count <= 63, containerName.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }),
                containerName.first != "-", containerName.last != "-"
            else {
                throw invalid("\(field).name", "Invalid value: \"\(containerName)\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'")
            }
            guard seen.insert(containerName).inserted else {
                throw invalid("\(field).name", "Duplicate value: \"\(containerName)\"")
            }
            guard let image = container["image"]?.stringValue, !image.isEmpty else { throw invalid("\(field).image", "Required value") }
            if let target = container["targetContainerName"]?.stringValue, !regular.contains(target) {
                throw invalid("\(field).targetContainerName", "Not found: \"\(target)\"")
            }
            if container["ports"]?.arrayValue?.isEmpty == false {
                throw invalid("\(field).ports", "Forbidden: cannot be set for an Ephemeral Container")
            }
            guard !existing.contains(where: { $0["name"]?.stringValue == containerName }) else { continue }
            let id = String(LogGenerator.mix(LogGenerator.seed(ControllerManager.uid(pod) + containerName)), radix: 16)
            statuses.append([
                "name": .string(containerName), "image": .string(image),
                "imageID": .string("docker.io/library/\(image)@sha256:\(id)\(id)"),
                "containerID": .string("containerd://\(id)\(id)\(id)\(id)"), "ready": false, "restartCount": 0,
                "state": ["running": ["startedAt": .string(now)]], "lastState": .object([:]),
            ])
        }
        var result = pod
        result[path: ["spec", "ephemeralContainers"]] = .array(requested)
        result[path: ["status", "ephemeralContainerStatuses"]] = .array(statuses)
        return result
    }

    /// Whether the ephemeral container `name` of `pod` has terminated.
    static func isTerminated(_ name: String, in pod: JSONValue) -> Bool {
        let statuses = pod[path: ["status", "ephemeralContainerStatuses"]]?.arrayValue ?? []
        return statuses.first { $0["name"]?.stringValue == name }?[path: ["state", "terminated"]] != nil
    }

    /// The shell of an ephemeral container exited (its attached session ended): the container is terminated and,
    /// as ephemeral containers are never restarted, stays so. A pod gone meanwhile is left alone.
    static func terminate(_ name: String, of pod: JSONValue, exitCode: Int, in store: ObjectStore) {
        let now = KubeTime.format(Date())
        _ = try? store.modify(
            ResourceCatalog.pods, namespace: pod[path: ["metadata", "namespace"]]?.stringValue,
            name: pod[path: ["metadata", "name"]]?.stringValue ?? ""
        ) { pod in
            let statuses = pod[path: ["status", "ephemeralContainerStatuses"]]?.arrayValue ?? []
            pod[path: ["status", "ephemeralContainerStatuses"]] = .array(
                statuses.map { status in
                    guard status["name"]?.stringValue == name, let running = status[path: ["state", "running"]] else { return status }
                    var status = status
                    status["state"] = [
                        "terminated": [
                            "exitCode": .int(Int64(exitCode)), "reason": exitCode == 0 ? "Completed" : "Error",
                            "startedAt": running["startedAt"] ?? .string(now),
                            "finishedAt": .string(now), "containerID": status["containerID"] ?? .null,
                        ]
                    ]
                    return status
                })
        }
    }
}
