import Foundation
@testable import GaleGateway
import GaleJSON
import GaleProtocol
import KubeClient
import KubeSim
import NIOHTTP1
import Testing

/// A live view never outlives the cluster it came from: an apiserver restarted with fresh state
/// is relisted (phantoms deleted, in the socket's view and the cached HTTP lists alike), and a
/// hung apiserver is noticed, reported and recovered from without anyone acting.
@Suite struct UpstreamFreshnessTests {
    static let token = "kubesim-freshness-test-token"

    /// A plain-HTTP KubeSim with a fixed token, so that a second one on the same port with fresh
    /// state is the "same" cluster to the gateway's kubeconfig.
    static func simulator(port: Int = 0) -> KubeSimServer {
        KubeSimServer(configuration: .init(port: port, token: token, podStartDelay: .milliseconds(50), tls: false))
    }

    static func configMap(_ name: String) -> GaleJSON.JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "demo"], "data": ["v": "1"]]
    }

    @Test("KubeSim answers a watch from a resourceVersion it never issued as the apiserver does: 504 Too large resource version")
    func tooLargeResourceVersion() async throws {
        let sim = Self.simulator()
        try await sim.start()
        defer { Task { await sim.stop() } }
        let client = try KubeClient(target: try Kubeconfig(yaml: try sim.kubeconfig()).resolve())
        defer { Task { try? await client.shutdown() } }
        let resource = try #require(ResourceCatalogLookup.configMaps)
        let ahead = sim.store.currentResourceVersion + 1000
        let stream = try await client.watch(
            resource, namespace: "demo", options: ListOptions(resourceVersion: String(ahead)))
        // Like the apiserver's watch cache: the error arrives as an ERROR event on the stream.
        var events = stream.makeAsyncIterator()
        let event = try #require(try await events.next())
        #expect(event.type == .error)
        let error = KubeError.fromStatus(event.object)
        #expect(error.isResourceVersionTooLarge)
        #expect(error.code == 504)
        #expect(error.reason == "Timeout")
        // The controllers keep writing, so "current" is whatever it was when the watch was asked for.
        #expect(error.message.hasPrefix("Too large resource version: \(ahead), current: "))
    }

    @Test(
        "An apiserver restarted with fresh state: subscribers and cached lists converge to it, phantoms deleted",
        .timeLimit(.minutes(1)))
    func freshStateAfterRestart() async throws {
        let first = Self.simulator()
        let port = try await first.start()
        try await TestGateway.with(probeInterval: .milliseconds(500), configure: TestGateway.plainHTTPClusters) { gateway in
            let admin = try await gateway.token()
            let id = try await gateway.register("fresh", kubeconfig: try first.kubeconfig(), token: admin)
            let resource = try #require(ResourceCatalogLookup.configMaps)
            let path = "/api/v1/namespaces/demo/configmaps"
            let firstClient = try KubeClient(target: try Kubeconfig(yaml: try first.kubeconfig()).resolve())
            // Objects only the first incarnation has.
            for name in ["phantom-a", "phantom-b"] {
                _ = try await firstClient.create(resource, namespace: "demo", object: Self.configMap(name))
            }
            try await firstClient.shutdown()

            @Sendable func cachedNames() async throws -> Set<String> {
                let (_, envelope) = try await gateway.http(
                    .GET, "/configmaps?cluster_id=\(id)&namespace=demo&page=1&pageSize=500", token: admin)
                return Set((envelope["data"]?["items"]?.arrayValue ?? []).compactMap { $0["metadata"]?["name"]?.stringValue })
            }

            try await gateway.socket(.init(token: admin)) { socket in
                _ = try await socket.hello()
                let watched = try await socket.watchConfigMaps(cluster: id)
                let channel = watched.channel
                var view = watched.view
                #expect(view.objects["demo/phantom-a"] != nil)
                #expect(try await cachedNames().contains("phantom-a"))

                // The apiserver comes back on the same address as a new cluster (etcd restored).
                await first.stop()
                let second = Self.simulator(port: port)
                try await second.start()
                defer { Task { await second.stop() } }
                let client = try KubeClient(target: try Kubeconfig(yaml: try second.kubeconfig()).resolve())
                defer { Task { try? await client.shutdown() } }
                _ = try await client.create(resource, namespace: "demo", object: Self.configMap("only-in-second"))

                let truth = try await client.versions(path)
                try await socket.follow(channel, into: &view) { view in
                    view.objects["demo/only-in-second"] != nil && view.objects["demo/phantom-a"] == nil
                        && view.objects["demo/phantom-b"] == nil
                }
                try await socket.follow(channel, into: &view) { $0.versions == truth }
                #expect(view.problems.isEmpty, "\(view.problems)")
                #expect(view.resyncs == 0)

                // The paged HTTP list is cut from the same cache: no phantoms either.
                let expected = Set(truth.keys.map { String($0.dropFirst("demo/".count)) })
                let deadline = ContinuousClock.now + .seconds(10)
                var listed = try await cachedNames()
                while listed != expected, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                    listed = try await cachedNames()
                }
                #expect(listed == expected)
                // A `reconnecting` seen while the apiserver was away is followed by `connected`
                // once the new cluster is listed (which may trail the relist's events).
                try await socket.follow(channel, into: &view) { $0.statuses.last != "reconnecting" }

                // A client that comes back with a resourceVersion of the old cluster gets the new
                // cluster's snapshot, never a "delta" computed from a version that means nothing now.
                let oldVersion = try #require(view.events.first { $0.key == "demo/phantom-b" }?.resourceVersion)
                // Even once the new cluster has issued that very number itself.
                var filler = 0
                while second.store.currentResourceVersion <= Int(oldVersion) ?? 0 {
                    filler += 1
                    _ = try await client.create(resource, namespace: "demo", object: Self.configMap("filler-\(filler)"))
                }
                let now = try await client.versions(path)
                let again = try await socket.subscribe([
                    "stream": "watch", "cluster": .int(id), "resource": "configmaps", "namespace": "demo",
                    "resourceVersion": .string(oldVersion),
                ])
                var resumed = view
                resumed.synced = false
                resumed.lastSeq = 0
                try await socket.follow(again, into: &resumed) { $0.synced }
                #expect(resumed.resyncs == 1)
                #expect(resumed.versions == now)
            }
        }
    }

    /// `kubegale sim` in a process of its own, so that it can be stopped (SIGSTOP) like a hung apiserver.
    final class SimProcess {
        let process = Process()
        let folder: URL
        let kubeconfig: String

        init() async throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("kubesim-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let binary = Bundle.main.bundleURL.appendingPathComponent("kubegale")
            guard FileManager.default.isExecutableFile(atPath: binary.path) else {
                throw TestFailure("\(binary.path) is missing: build the kubegale product first")
            }
            let file = folder.appendingPathComponent("kubeconfig")
            process.executableURL = binary
            process.arguments = ["sim", "--port", "0", "--plain-http", "--kubeconfig-out", file.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The kubeconfig is written once the simulator listens.
            let deadline = ContinuousClock.now + .seconds(30)
            while !FileManager.default.fileExists(atPath: file.path) {
                guard ContinuousClock.now < deadline, process.isRunning else { throw TestFailure("kubegale sim did not start") }
                try await Task.sleep(for: .milliseconds(50))
            }
            kubeconfig = try String(contentsOf: file, encoding: .utf8)
        }

        deinit {
            kill(process.processIdentifier, SIGCONT)
            process.terminate()
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    @Test(
        "A hung apiserver (SIGSTOP): status reconnecting then unreachable, uncached requests fail fast with 1006, recovery by itself",
        .timeLimit(.minutes(2)))
    func hungUpstream() async throws {
        let sim = try await SimProcess()
        var live = LiveConfiguration.forTests
        live.watchIdleTimeout = .seconds(2)
        try await TestGateway.with(probeInterval: .seconds(1), live: live, configure: TestGateway.plainHTTPClusters) { gateway in
            let admin = try await gateway.token()
            let id = try await gateway.register("hung", kubeconfig: sim.kubeconfig, token: admin)
            let simulator = sim.process.processIdentifier
            try await gateway.socket(.init(token: admin)) { socket in
                _ = try await socket.hello()
                let watched = try await socket.watchConfigMaps(cluster: id)
                let channel = watched.channel
                var view = watched.view

                kill(simulator, SIGSTOP)
                try await socket.follow(channel, into: &view) { $0.statuses.contains("reconnecting") }
                // The cluster is known to be down: a request that the cache cannot answer fails at once.
                let started = ContinuousClock.now
                let (_, pod) = try await gateway.http(.GET, "/pods/nginx?cluster_id=\(id)&namespace=demo", token: admin)
                #expect(pod["code"]?.intValue == 1006)
                #expect(ContinuousClock.now - started < .seconds(2))
                try await socket.follow(channel, into: &view) { $0.statuses.contains("unreachable") }

                kill(simulator, SIGCONT)
                try await socket.follow(channel, into: &view) { $0.statuses.last == "connected" }
                // And the watch is live again: a change made now arrives.
                let (_, made) = try await gateway.http(
                    .POST, "/configmaps", token: admin,
                    body: ["cluster_id": .int(id), "namespace": "demo", "content": .string(
                        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after-hang\ndata:\n  v: \"1\"\n")])
                #expect(made["code"]?.intValue == 0, "\(made)")
                try await socket.follow(channel, into: &view) { $0.objects["demo/after-hang"] != nil }
                #expect(view.problems.isEmpty, "\(view.problems)")
            }
        }
    }

    @Test("Deleting a watched cluster ends its channels with 1002 and unsubscribed at once, without a reconnecting first")
    func deletedClusterEndsItsChannels() async throws {
        try await SimCluster.with { cluster in
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let (channel, _) = try await socket.watchConfigMaps(cluster: cluster.id)
                let deleted = try await cluster.confirmed(.DELETE, "/clusters/\(cluster.id)", [:])
                #expect(deleted["code"]?.intValue == 0, "\(deleted)")
                var code: ErrorCode?
                var frames: [ServerFrame] = []
                while true {
                    let frame = try await socket.receive()
                    frames.append(frame)
                    if case .error(_, channel?, let failed, _) = frame { code = failed }
                    if case .unsubscribed(channel, _) = frame { break }
                }
                #expect(code == .clusterNotFound)
                let statuses = frames.compactMap { frame -> String? in
                    if case .status(_, let state, _) = frame { return state }
                    return nil
                }
                #expect(statuses.isEmpty, "\(statuses)")
                // The socket goes on serving everything else.
                let (_, clusters) = try await cluster.gateway.http(.GET, "/clusters", token: cluster.admin)
                #expect(clusters["code"]?.intValue == 0)
            }
        }
    }

    @Test("Upstream failures reach clients in plain words, without the libraries' type names")
    func plainUpstreamErrors() async throws {
        try await TestGateway.with(configure: TestGateway.plainHTTPClusters) { gateway in
            let admin = try await gateway.token()
            // A cluster whose API server is not there: nothing listens on port 1.
            let kubeconfig = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: gone
                  cluster:
                    server: http://127.0.0.1:1
                users:
                - name: gone
                  user:
                    token: not-a-real-token
                contexts:
                - name: gone
                  context:
                    cluster: gone
                    user: gone
                current-context: gone
                """
            let id = try await gateway.register("gone", kubeconfig: kubeconfig, token: admin)
            let (_, pods) = try await gateway.http(.GET, "/pods?cluster_id=\(id)&namespace=demo", token: admin)
            #expect(pods["code"]?.intValue == 1006)
            let message = try #require(pods["msg"]?.stringValue)
            #expect(message.contains("cannot connect to the API server") || message.contains("cannot reach the API server"), "\(message)")
            for typeName in ["NIO", "HTTPClientError", "IOError", "Error(", "errno", ".swift"] {
                #expect(!message.contains(typeName), "\(message)")
            }
        }
    }

    @Test("RV comparisons: integers compare as numbers; anything else is never older")
    func resourceVersionOrder() {
        #expect(SharedWatch.isOlder("99", than: "100"))
        #expect(!SharedWatch.isOlder("100", than: "99"))
        #expect(!SharedWatch.isOlder("100", than: "100"))
        #expect(!SharedWatch.isOlder("abc", than: "100"))
    }
}
