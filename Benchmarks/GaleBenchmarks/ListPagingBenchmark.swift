import AsyncHTTPClient
import Foundation
import GaleGateway
import GaleJSON
import KubeClient
import KubeSim
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Pages through a namespace of many pods through the gateway's HTTP API, as the console's pod
/// table does, and reports the latency of each page request.
struct ListPagingBenchmark {
    var pods = 5000
    var requests = 200
    var pageSize = 20

    func run() async throws {
        let simulator = KubeSimServer(configuration: .init(seedDemoData: false, tls: false))
        try await simulator.start()
        defer { Task { await simulator.stop() } }
        let kubeconfig = try simulator.kubeconfig()
        try await seed(kubeconfig: kubeconfig)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubegale-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let gateway = try await Gateway(
            configuration: .init(port: 0, dataDirectory: directory, jwtSecret: String(repeating: "b", count: 40)),
            logger: logger
        )
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = Task { try await gateway.run { continuation.yield($0) } }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { return }
        let token = try await gateway.tokens.issue(subject: "bench", role: .admin, clusters: .all, ttl: .seconds(3600))
        let base = "http://127.0.0.1:\(port)/api/v1/kubernetes"

        var register = HTTPClientRequest(url: base + "/clusters")
        register.method = .POST
        register.headers.add(name: "Authorization", value: "Bearer \(token)")
        register.body = .bytes(ByteBuffer(string: GaleJSON.JSONValue.object(["name": "bench", "kubeconfig": .string(kubeconfig)]).jsonString))
        _ = try await HTTPClient.shared.execute(register, timeout: .seconds(30)).body.collect(upTo: 1 << 20)

        let pages = pods / pageSize
        var latencies: [Duration] = []
        for index in 0..<requests {
            let page = (index * 7919) % pages + 1
            var request = HTTPClientRequest(url: base + "/pods?cluster_id=1&namespace=bench&page=\(page)&pageSize=\(pageSize)")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let start = ContinuousClock.now
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 64 << 20)
            latencies.append(ContinuousClock.now - start)
            if index == 0 {
                let json = try GaleJSON.JSONValue(parsing: body.readableBytesView)
                guard json["data"]?["total"]?.intValue == Int64(pods) else {
                    print("unexpected answer: \(String(buffer: body).prefix(300))")
                    return
                }
            }
        }
        latencies.sort()
        func ms(_ duration: Duration) -> String {
            String(format: "%.2f ms", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000)
        }
        print("list paging: \(pods) pods, pageSize \(pageSize), \(requests) page requests over HTTP")
        print("  p50 \(ms(latencies[latencies.count / 2]))  p99 \(ms(latencies[latencies.count * 99 / 100]))  max \(ms(latencies.last!))")
    }

    /// Creates the namespace and the pods straight on the simulator, through KubeClient.
    private func seed(kubeconfig: String) async throws {
        let client = try KubeClient(target: try Kubeconfig(yaml: kubeconfig).resolve())
        defer { Task { try? await client.shutdown() } }
        let catalog = ResourceCatalog.standard
        _ = try await client.create(catalog.resource(named: "namespaces")!, namespace: nil, object: ["metadata": ["name": "bench"]])
        let podResource = catalog.resource(named: "pods")!
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in stride(from: 0, to: pods, by: 100) {
                group.addTask {
                    for index in batch..<min(batch + 100, pods) {
                        _ = try await client.create(podResource, namespace: "bench", object: Self.pod(index))
                    }
                }
                if batch >= 400 { try await group.next() }
            }
            try await group.waitForAll()
        }
    }

    static func pod(_ index: Int) -> GaleJSON.JSONValue {
        [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string("web-\(index)"), "labels": ["app": "web", "shard": .string("s\(index % 10)")]],
            "spec": [
                "containers": [[
                    "name": "nginx", "image": "nginx:1.27",
                    "ports": [["containerPort": 80]],
                    "resources": ["requests": ["cpu": "100m", "memory": "128Mi"]],
                ]]
            ],
        ]
    }
}
