import Foundation
import GaleJSON
import GaleProtocol
import KubeClient
import Logging

/// The pod behind a node terminal, made the way `kubectl debug node/NAME -it --image=busybox`
/// makes it: pinned to the node (`nodeName`, so no scheduler is involved), in the host's PID,
/// network and IPC namespaces, privileged, with the host's root filesystem at `/host`, never
/// restarted, tolerating every taint. Its container keeps `sh` open on a stdin that nobody
/// writes to, so it runs until it is deleted; the terminal execs a second `sh` into it.
enum NodeDebugPod {
    /// The label every node debug pod carries (value `true`).
    static let label = "kubegale.io/node-terminal"
    /// The container's name, as kubectl names it.
    static let container = "debugger"
    /// What the terminal runs. `chroot /host` in it gives a shell in the node's own filesystem.
    static let command = ["sh"]

    private static let pods = ResourceCatalog.standard.resource(named: "pods")!

    /// The pod object for `node`; the apiserver completes the name `node-debugger-NODE-xxxxx`.
    static func manifest(node: String, image: String, subject: String) -> JSONValue {
        // generateName prefixes are cut to 58 characters, so the name stays within 63.
        let prefix = String("node-debugger-\(node)".prefix(57)) + "-"
        return [
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": [
                "generateName": .string(prefix),
                "labels": [label: "true"],
                "annotations": ["kubegale.io/node": .string(node), "kubegale.io/requested-by": .string(subject)],
            ],
            "spec": [
                "nodeName": .string(node),
                "hostPID": true,
                "hostNetwork": true,
                "hostIPC": true,
                "restartPolicy": "Never",
                "terminationGracePeriodSeconds": 0,
                "tolerations": [["operator": "Exists"]],
                "containers": [
                    [
                        "name": .string(container),
                        "image": .string(image),
                        "stdin": true,
                        "tty": true,
                        "securityContext": ["privileged": true],
                        "volumeMounts": [["name": "host-root", "mountPath": "/host"]],
                    ]
                ],
                "volumes": [["name": "host-root", "hostPath": ["path": "/"]]],
            ],
        ]
    }

    /// Creates the debug pod for `node` in `namespace` and waits until it runs; deletes it again
    /// when it does not. Returns its name. A pod that ends before running is refused with 1001,
    /// one still not running after `timeout` with 1006.
    static func start(
        node: String, namespace: String, image: String, subject: String, timeout: Duration, client: KubeClient
    ) async throws -> String {
        let created = try await client.create(
            pods, namespace: namespace, object: manifest(node: node, image: image, subject: subject))
        let name = SpecialOperations.name(created)
        do {
            try await waitUntilRunning(name: name, namespace: namespace, timeout: timeout, client: client)
            return name
        } catch {
            try? await client.delete(
                pods, namespace: namespace, name: name, options: DeleteOptions(gracePeriodSeconds: 0))
            throw error
        }
    }

    private static func waitUntilRunning(name: String, namespace: String, timeout: Duration, client: KubeClient)
        async throws
    {
        let deadline = ContinuousClock.now + timeout
        var phase = "Pending"
        while ContinuousClock.now < deadline {
            let pod = try await client.get(pods, namespace: namespace, name: name)
            phase = pod["status"]?["phase"]?.stringValue ?? "Pending"
            switch phase {
            case "Running":
                return
            case "Succeeded", "Failed":
                throw APIError.invalidArgument("debug pod \(namespace)/\(name) ended (\(phase)) before it ran")
            default:
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        throw APIError(
            .clusterUnreachable,
            "debug pod \(namespace)/\(name) was still \(phase) after \(timeout.components.seconds)s; "
                + "is the node ready and the image \"pullable\"?")
    }

    /// Deletes the debug pod of `grant` (cluster credentials of the registry, not of the user: the
    /// pod must go even if the user's scope changed). Failures are logged, never thrown.
    static func delete(_ grant: TerminalGrant, access: ClusterAccess, logger: Logger) async {
        do {
            guard let record = try await access.registry.store.get(id: grant.clusterID) else { return }
            let client = try await access.connections.client(for: record, as: nil)
            try await client.delete(
                pods, namespace: grant.namespace, name: grant.pod, options: DeleteOptions(gracePeriodSeconds: 0))
            logger.info(
                "node debug pod deleted",
                metadata: ["cluster.id": "\(grant.clusterID)", "pod": "\(grant.namespace)/\(grant.pod)"])
        } catch let error as KubeError where error.isNotFound {
            return
        } catch {
            logger.warning(
                "cannot delete node debug pod",
                metadata: [
                    "cluster.id": "\(grant.clusterID)", "pod": "\(grant.namespace)/\(grant.pod)", "error": "\(error)",
                ])
        }
    }
}
