import GaleJSON
import HTTPTypes
import KubeClient

/// Seed §2.1.5–§2.1.9: restart, logs, terminal, events and metrics of pods.
struct PodOperations: Sendable {
    let access: ClusterAccess
    let confirmations: ConfirmationGate
    let terminals: TerminalTickets
    let webSocketOrigin: String

    /// Most bytes of log one `logs` call returns (the apiserver's `limitBytes`).
    static let maxLogBytes = 4 << 20

    private static let pods = ResourceCatalog.standard.resource(named: "pods")!

    /// `ws://HOST:PORT` (`wss://` when the gateway serves TLS) of the gateway's configured
    /// listening address (IPv6 hosts bracketed), the origin of terminal URLs when the request does
    /// not tell which origin the client addressed.
    static func webSocketOrigin(host: String, port: Int, secure: Bool) -> String {
        "\(secure ? "wss" : "ws")://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    var operations: [Operation] {
        [
            Operation(.post, "/pods/{name}/restart", role: .operator, action: "restart pods", handler: restart),
            Operation(.get, "/pods/{name}/logs", role: .viewer, action: "read pod logs", handler: logs),
            Operation(.get, "/pods/{name}/events", role: .viewer, action: "read pod events", handler: events),
            Operation(.get, "/pods/metrics", role: .viewer, action: "read pod metrics", handler: metrics),
            Operation(.get, "/pods/{name}/terminal", role: .operator, action: "open pod terminals", handler: terminal),
        ]
    }

    /// Restarts a pod the way kubectl users do: deletes it so that its controller (ReplicaSet,
    /// StatefulSet, DaemonSet, Job, or the kubelet for a static pod) creates it again.
    ///
    /// A pod without a controlling owner is refused with 1001 rather than recreated from its spec:
    /// deleting it would lose it for good, and a copy made by the gateway would be a different pod
    /// (new UID, no status, scheduled anew) that nobody manages — which is not what
    /// `kubectl delete pod` users expect from a "restart". Delete and create it explicitly instead.
    @Sendable func restart(_ input: OperationInput) async throws -> JSONValue {
        let namespace = try SpecialOperations.namespace(input)
        let name = try input.string("name")
        let cluster = try input.optionalString("cluster_id") ?? ""
        let operation = "POST /pods/\(name)/restart cluster=\(cluster) namespace=\(namespace)"
        return try await access.call(input, verb: .delete) { client in
            let pod = try await client.get(Self.pods, namespace: namespace, name: name)
            let owners = pod["metadata"]?["ownerReferences"]?.arrayValue ?? []
            guard let controller = owners.first(where: { $0["controller"]?.boolValue == true }) else {
                throw APIError.invalidArgument(
                    "pod \(namespace)/\(name) has no controller to recreate it; restarting would delete it for good "
                        + "(delete and create it instead)")
            }
            let uid = pod["metadata"]?["uid"]?.stringValue
            let target = ConfirmationGate.Target(pod)
            try await confirmations.require(input, operation: operation, target: target) {
                _ = try await client.delete(Self.pods, namespace: namespace, name: name, options: DeleteOptions(dryRun: true))
                return [
                    "restarts": ["namespace": .string(namespace), "name": .string(name), "uid": uid.map(JSONValue.string) ?? .null],
                    "controller": ["kind": controller["kind"] ?? .null, "name": controller["name"] ?? .null],
                ]
            }
            try await client.delete(
                Self.pods, namespace: namespace, name: name,
                options: DeleteOptions(preconditionResourceVersion: target.resourceVersion.isEmpty ? nil : target.resourceVersion))
            return [
                "restarted": [
                    "namespace": .string(namespace), "name": .string(name), "uid": uid.map(JSONValue.string) ?? .null,
                ],
                "controller": ["kind": controller["kind"] ?? .null, "name": controller["name"] ?? .null],
            ]
        }
    }

    /// `{logs}`: the container's log once (`tail_lines`, `container`, `previous`, `timestamps`).
    /// Over HTTP, `follow=true` streams the log as text instead (``PodLogFollowRoute``); over
    /// WebSocket a followed log is a `subscribe {stream: logs}` channel.
    @Sendable func logs(_ input: OperationInput) async throws -> JSONValue {
        let namespace = try SpecialOperations.namespace(input)
        let name = try input.string("name")
        if try input.optionalBool("follow") == true {
            throw APIError.invalidArgument(
                "a request answers once: follow a log with subscribe {\"stream\": \"logs\"}, or over HTTP with follow=true")
        }
        let tail = try input.optionalInt("tail_lines")
        if let tail, tail < 0 { throw APIError.invalidArgument("parameter \"tail_lines\" must not be negative") }
        let options = LogOptions(
            container: try input.optionalString("container").flatMap { $0.isEmpty ? nil : $0 },
            tailLines: tail.map(Int.init),
            timestamps: try input.optionalBool("timestamps") ?? false,
            previous: try input.optionalBool("previous") ?? false,
            limitBytes: Self.maxLogBytes)
        return try await access.call(input) { client in
            do {
                var bytes: [UInt8] = []
                for try await chunk in try await client.logs(namespace: namespace, pod: name, options: options) {
                    bytes += chunk
                }
                return ["logs": .string(String(decoding: bytes, as: UTF8.self))]
            } catch let error as KubeError where error.code == 400 {
                // A container that is not there or not started: the caller's parameters, not a failure.
                throw APIError.invalidArgument(error.message)
            }
        }
    }

    /// The events whose involved object is the pod (this incarnation of it), newest first, paged.
    @Sendable func events(_ input: OperationInput) async throws -> JSONValue {
        let namespace = try SpecialOperations.namespace(input)
        let name = try input.string("name")
        let paging = try input.paging()
        return try await access.call(input) { client in
            let pod = try await client.get(Self.pods, namespace: namespace, name: name)
            let events = try await EventOperations.events(
                client, namespace: namespace, kind: "Pod", name: name, uid: pod["metadata"]?["uid"]?.stringValue)
            return SpecialOperations.page(events, paging)
        }
    }

    /// metrics.k8s.io `PodMetrics` of the running pods of `namespace` (all when absent), by name, paged.
    @Sendable func metrics(_ input: OperationInput) async throws -> JSONValue {
        let namespace = try SpecialOperations.namespaceFilter(input)
        let paging = try input.paging()
        return try await access.call(input) { client in
            try await SpecialOperations.requireNamespace(namespace, client: client)
            let list = try await MetricsOperations.metricsAPI { try await client.podMetrics(namespace: namespace) }
            let items = (list["items"]?.arrayValue ?? []).sorted {
                ($0["metadata"]?["namespace"]?.stringValue ?? "", SpecialOperations.name($0))
                    < ($1["metadata"]?["namespace"]?.stringValue ?? "", SpecialOperations.name($1))
            }
            return SpecialOperations.page(items, paging)
        }
    }

    /// A one-time ticket for an exec terminal (`sh`) into a running container, valid for a minute;
    /// `terminal_url` is on the origin the caller addressed (see ``origin(_:fallback:)``).
    /// `container` defaults to the pod's `kubectl.kubernetes.io/default-container`, else its first.
    @Sendable func terminal(_ input: OperationInput) async throws -> JSONValue {
        let namespace = try SpecialOperations.namespace(input)
        let name = try input.string("name")
        let requested = try input.optionalString("container").flatMap { $0.isEmpty ? nil : $0 }
        let clusterID = try input.optionalString("cluster_id") ?? input.string("id")
        let record = try await access.registry.record(clusterID, for: input.principal)
        let pod = try await access.call(input) { client in
            try await client.get(Self.pods, namespace: namespace, name: name)
        }
        let containers = (pod["spec"]?["containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let preferred = pod["metadata"]?["annotations"]?["kubectl.kubernetes.io/default-container"]?.stringValue
        guard let container = requested ?? preferred.flatMap({ containers.contains($0) ? $0 : nil }) ?? containers.first
        else {
            throw APIError.invalidArgument("pod \(namespace)/\(name) has no containers")
        }
        guard containers.contains(container) else {
            throw APIError.invalidArgument(
                "container \"\(container)\" is not in pod \(namespace)/\(name); "
                    + "choose one of: \(containers.joined(separator: ", "))")
        }
        let phase = pod["status"]?["phase"]?.stringValue ?? "Unknown"
        guard phase == "Running" else {
            throw APIError.invalidArgument("pod \(namespace)/\(name) is \(phase); a terminal needs a running pod")
        }
        let ticket = terminals.issue(
            for: input.principal, clusterID: record.id, namespace: namespace, pod: name, container: container)
        var answer = terminals.links(ticket: ticket, origin: Self.origin(input, fallback: webSocketOrigin))
        answer["container"] = .string(container)
        return .object(answer)
    }

    /// The origin terminal URLs are built on: the one the caller addressed (its `Host`, or the
    /// `X-Forwarded-Host`/`-Proto` of a proxy), else the configured `fallback`.
    static func origin(_ input: OperationInput, fallback: String) -> String {
        input.origin?.webSocketOrigin ?? fallback
    }
}
