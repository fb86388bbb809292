import GaleJSON

/// One container log a subscription follows: a container of one incarnation of a pod.
struct LogTarget: Sendable, Hashable, CustomStringConvertible {
    let namespace: String
    let pod: String
    /// `metadata.uid`: a pod recreated under the same name is another target.
    let podUID: String?
    let container: String

    var description: String { "\(namespace)/\(pod)/\(container)" }

    /// The targets of `pod` that `request` asks for, the way kubectl chooses containers.
    ///
    /// With `strict` (the request names this pod) a container that is not there, has not
    /// started (without `follow`) or has no previous instance (with `previous`) is a 1001 the
    /// client can act on; otherwise (pods found by a selector) such containers are skipped.
    static func targets(in pod: JSONValue, request: LogRequest, strict: Bool) throws(APIError) -> [LogTarget] {
        let namespace = pod["metadata"]?["namespace"]?.stringValue ?? request.namespace
        let name = pod["metadata"]?["name"]?.stringValue ?? ""
        let spec = pod["spec"]
        func names(_ key: String) -> [String] { (spec?[key]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue } }
        let app = names("containers")
        let initial = names("initContainers")
        let chosen: [String]
        switch request.containers {
        case .preferred:
            let annotated = pod["metadata"]?["annotations"]?["kubectl.kubernetes.io/default-container"]?.stringValue
            guard let container = annotated.flatMap({ app.contains($0) ? $0 : nil }) ?? app.first else {
                if strict { throw .invalidArgument("pod \(namespace)/\(name) has no containers") }
                return []
            }
            chosen = [container]
        case .named(let container):
            guard (initial + app + names("ephemeralContainers")).contains(container) else {
                if strict {
                    throw .invalidArgument(
                        "container \"\(container)\" is not in pod \(namespace)/\(name); "
                            + "choose one of: \((initial + app).joined(separator: ", "))")
                }
                return []
            }
            chosen = [container]
        case .all:
            chosen = initial + app
        }
        let statuses = ["initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"]
            .flatMap { pod["status"]?[$0]?.arrayValue ?? [] }
        var targets: [LogTarget] = []
        for container in chosen {
            let status = statuses.first { $0["name"]?.stringValue == container }
            if let problem = unavailable(status, request: request) {
                // One named container that cannot be read is the caller's to fix; among many, skip it.
                if strict, chosen.count == 1 {
                    throw .invalidArgument("container \"\(container)\" in pod \(namespace)/\(name) \(problem)")
                }
                continue
            }
            targets.append(
                LogTarget(
                    namespace: namespace, pod: name, podUID: pod["metadata"]?["uid"]?.stringValue, container: container)
            )
        }
        return targets
    }

    /// Why a container's log cannot be read as asked, or `nil` when it can (or will, once a
    /// followed container starts).
    private static func unavailable(_ status: JSONValue?, request: LogRequest) -> String? {
        if request.previous {
            return status?["lastState"]?["terminated"] == nil ? "has no previous terminated instance" : nil
        }
        let state = status?["state"]
        if state?["running"] != nil || state?["terminated"] != nil || request.follow { return nil }
        let reason = state?["waiting"]?["reason"]?.stringValue ?? "ContainerCreating"
        return "is waiting to start: \(reason)"
    }
}
