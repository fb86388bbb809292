import AsyncHTTPClient
import Foundation
import GaleJSON
import KubeClient
import KubeSim
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// A KubeSim cluster in this process and a gateway in a process of its own (`kubegale serve`, see
/// ``GatewayProcess``), the cluster registered through the gateway's HTTP API as a user would,
/// and an admin token: what every gateway benchmark starts from. KubeSim stays here so that the
/// producer writes straight into its store, timed to the nanosecond, and the gateway's process
/// holds nothing but the gateway.
struct BenchCluster: Sendable {
    let simulator: KubeSimServer
    let gateway: GatewayProcess
    /// The registry id of the KubeSim cluster.
    let clusterID: Int64

    var port: Int { gateway.port }
    var token: String { gateway.token }
    var httpBase: String { "http://127.0.0.1:\(port)/api/v1/kubernetes" }

    static func start(
        simulator configuration: KubeSimServer.Configuration = .init(seedDemoData: false, tls: false),
        gateway gatewayConfiguration: GatewayProcess.Configuration = .init()
    ) async throws -> BenchCluster {
        var simLogger = Logger(label: "kubesim")
        simLogger.logLevel = .error
        let simulator = KubeSimServer(configuration: configuration, logger: simLogger)
        try await simulator.start()
        if !configuration.seedDemoData {
            // Without the demo data there is no node, and pods would stay unscheduled.
            _ = try simulator.store.create(
                KubeSim.ResourceCatalog.nodes, namespace: nil,
                object: [
                    "apiVersion": "v1", "kind": "Node", "metadata": ["name": "bench-node"],
                    "status": [
                        "addresses": [["type": "InternalIP", "address": "10.0.0.2"]],
                        "conditions": [["type": "Ready", "status": "True"]],
                        "allocatable": ["cpu": "64", "memory": "256Gi", "pods": "10000"],
                        "capacity": ["cpu": "64", "memory": "256Gi", "pods": "10000"],
                    ],
                ])
        }
        let gateway: GatewayProcess
        do {
            gateway = try await GatewayProcess.start(gatewayConfiguration)
        } catch {
            await simulator.stop()
            throw error
        }
        do {
            var register = HTTPClientRequest(url: "http://127.0.0.1:\(gateway.port)/api/v1/kubernetes/clusters")
            register.method = .POST
            register.headers.add(name: "Authorization", value: "Bearer \(gateway.token)")
            register.headers.add(name: "Content-Type", value: "application/json")
            let body = GaleJSON.JSONValue.object(["name": "bench", "kubeconfig": .string(try simulator.kubeconfig())])
            register.body = .bytes(ByteBuffer(string: body.jsonString))
            let response = try await HTTPClient.shared.execute(register, timeout: .seconds(30))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            let envelope = try GaleJSON.JSONValue(parsing: bytes.readableBytesView)
            guard let id = envelope["data"]?["id"]?.intValue else {
                throw LoadSocketError("cannot register KubeSim: \(String(buffer: bytes))")
            }
            return BenchCluster(simulator: simulator, gateway: gateway, clusterID: id)
        } catch {
            await gateway.stop()
            await simulator.stop()
            throw error
        }
    }

    func stop() async {
        await gateway.stop()
        await simulator.stop()
    }

    /// Options for a load socket to this gateway's `/ws`.
    func socketOptions(deflate: Bool = false) -> LoadSocket.Options {
        LoadSocket.Options(port: port, path: "/ws", token: token, deflate: deflate)
    }

    /// Creates a namespace straight in the simulator.
    func createNamespace(_ name: String) throws {
        _ = try simulator.api.create(
            KubeSim.ResourceCatalog.namespaces, namespace: nil, object: ["metadata": ["name": .string(name)]])
    }
}

/// A client socket's view of server frames during setup: parses text frames with GaleJSON.
enum FrameText {
    static func parse(_ message: LoadSocket.Message) -> GaleJSON.JSONValue? {
        guard message.opcode == .text else { return nil }
        return try? GaleJSON.JSONValue(parsing: message.data.readableBytesView)
    }

    static func subscribe(id: String, _ members: [String: GaleJSON.JSONValue]) -> String {
        var object = members
        object["type"] = "subscribe"
        object["id"] = .string(id)
        return GaleJSON.JSONValue.object(object).jsonString
    }
}

extension BenchCluster {
    /// A `subscribe` frame for a watch of `resource` in `namespace` of the KubeSim cluster.
    func watchSubscribe(id: String, resource: String, namespace: String) -> String {
        FrameText.subscribe(
            id: id,
            [
                "stream": "watch", "cluster": .string(String(clusterID)), "resource": .string(resource),
                "namespace": .string(namespace),
            ])
    }
}

extension BenchCluster {
    /// Creates a one-container pod straight in the simulator (its controller starts it).
    func createPod(_ name: String, namespace: String, image: String = "busybox:1.36") throws {
        _ = try simulator.api.create(
            KubeSim.ResourceCatalog.pods, namespace: namespace,
            object: [
                "apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": ["app": "bench"]],
                "spec": ["containers": [["name": "main", "image": .string(image)]]],
            ])
    }

    /// Waits until the simulator reports the pod `Running`.
    func waitForRunning(_ name: String, namespace: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let pod = simulator.store.find(KubeSim.ResourceCatalog.pods, namespace: namespace, name: name)
            if pod?[path: ["status", "phase"]]?.stringValue == "Running" { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw LoadSocketError("pod \(namespace)/\(name) is not running after \(timeout)")
    }

    /// An `exec` frame running `command` with a TTY in the pod.
    func execFrame(id: String, namespace: String, pod: String, command: [String]) -> String {
        GaleJSON.JSONValue.object([
            "type": "exec", "id": .string(id), "cluster": .string(String(clusterID)), "namespace": .string(namespace),
            "pod": .string(pod), "command": .array(command.map { .string($0) }), "tty": true, "cols": 120, "rows": 40,
        ]).jsonString
    }

    /// A `subscribe` frame following the log of a pod from now on.
    func logsSubscribe(id: String, namespace: String, pod: String, batch: Bool = false) -> String {
        FrameText.subscribe(
            id: id,
            [
                "stream": "logs", "cluster": .string(String(clusterID)), "namespace": .string(namespace),
                "name": .string(pod),
                "follow": true, "tailLines": 0, "batch": .bool(batch),
            ])
    }
}

extension FrameText {
    /// `(type, channel, code, msg)` of a text frame, for setup steps.
    static func summary(_ message: LoadSocket.Message) -> (type: String, channel: UInt32?, text: String)? {
        guard let json = parse(message) else { return nil }
        let type = json["type"]?.stringValue ?? ""
        let channel = json["channel"]?.intValue.map { UInt32(truncatingIfNeeded: $0) }
        return (type, channel, json.jsonString)
    }
}
