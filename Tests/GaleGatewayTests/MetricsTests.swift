import AsyncHTTPClient
import Foundation
import GaleJSON
import GaleProtocol
import NIOCore
import NIOHTTP1
import Testing

@testable import GaleGateway

/// The operators' metrics move when their event happens, and every HTTP request has an id.
struct MetricsTests {
    /// Series of an exposition, `name{labels}` → value.
    static func series(_ exposition: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
        return values
    }

    static func scrape(_ cluster: SimCluster) async throws -> [String: Double] {
        let (status, body) = try await Probe.get(cluster.gateway.port, "/metrics", token: cluster.admin)
        #expect(status == 200)
        return series(body)
    }

    @Test("Channels, sessions, upstream watches, cluster state and resumes are reported as they change")
    func liveMetricsFollowTheGateway() async throws {
        try await SimCluster.with { cluster in
            let id = cluster.id
            let watches = "kubegale_upstream_watches_open{cluster=\"\(id)\"}"
            let before = try await Self.scrape(cluster)
            #expect(before["kubegale_channels_open"] == 0)
            #expect(before[watches] == nil)
            #expect(before["kubegale_upstream_state{cluster=\"\(id)\",state=\"active\"}"] == 1)
            #expect(before["kubegale_upstream_state{cluster=\"\(id)\",state=\"unreachable\"}"] == 0)
            #expect(before["kubegale_session_resumes_total{result=\"resumed\"}"] == 0)

            // A socket watching: one channel, one upstream watch, one attached session.
            let left = Shared<(String, UInt32)?>(nil)
            let during = Shared<[String: Double]>([:])
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                let hello = try await socket.hello()
                let channel = try await socket.subscribe(LiveWatchTests.watchConfigMaps(cluster))
                var view = WatchView()
                try await socket.follow(channel, into: &view) { $0.synced }
                left.set((hello.session, channel))
                during.set(try await Self.scrape(cluster))
            }
            #expect(during.get()["kubegale_channels_open"] == 1)
            #expect(during.get()[watches] == 1)
            #expect(during.get()["kubegale_sessions{state=\"attached\"}"] == 1)
            #expect(during.get()["kubegale_websocket_connections"] == 1)
            #expect(during.get()["kubegale_outbound_queued_frames"] != nil)

            // The socket left: its session is kept for resume with its channel.
            let (session, channel) = try #require(left.get())
            #expect(
                try await eventually {
                    let now = try await Self.scrape(cluster)
                    return now["kubegale_sessions{state=\"detached\"}"] == 1 && now["kubegale_websocket_connections"] == 0
                })
            #expect(try await Self.scrape(cluster)["kubegale_channels_open"] == 1)

            // A hello naming an unknown session misses; naming the kept one resumes it.
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                try await socket.send(.hello(.init(session: "no-such-session", lastSeq: [:])))
                _ = try await socket.receive(until: { if case .hello = $0 { true } else { false } })
                try await socket.send(.hello(.init(session: session, lastSeq: [channel: 1])))
                _ = try await socket.receive(until: { if case .hello(let hello) = $0 { hello.session == session } else { false } })
            }
            let after = try await Self.scrape(cluster)
            #expect(after["kubegale_session_resumes_total{result=\"resumed\"}"] == 1)
            #expect(after["kubegale_session_resumes_total{result=\"missed\"}"] == 1)

            // A watch resumed from a resourceVersion is counted.
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                var options = LiveWatchTests.watchConfigMaps(cluster)
                options["resourceVersion"] = "1"
                _ = try await socket.subscribe(options)
            }
            #expect(try await Self.scrape(cluster)["kubegale_watch_resumes_total"] == 1)

            // A deleted cluster's series go away rather than stay at their last value.
            let deleted = try await cluster.confirmed(.DELETE, "/clusters/\(id)", [:])
            #expect(deleted["code"]?.intValue == 0, "\(deleted)")
            #expect(
                try await eventually {
                    let now = try await Self.scrape(cluster)
                    return now.keys.allSatisfy { !$0.contains("cluster=\"\(id)\"") }
                })
        }
    }

    /// The repository's root, found from this file.
    static let repository: URL = {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/", !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
            folder.deleteLastPathComponent()
        }
        return folder
    }()

    /// `kubegale_…` names in a text, histogram series reduced to their family.
    static func metricNames(in text: String) -> Set<String> {
        let regex = /kubegale_[a-z_]+/
        return Set(
            text.matches(of: regex).map { match in
                var name = String(match.output)
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && name.hasPrefix("kubegale_request_duration") {
                    name.removeLast(suffix.count)
                }
                return name
            })
    }

    @Test("A call that read a cluster's record just before its deletion does not bring the cluster's client back")
    func deletedClusterStaysGone() async throws {
        try await SimCluster.with { cluster in
            let connections = cluster.gateway.gateway.connections
            let record = try #require(try await cluster.gateway.gateway.registry.store.get(id: cluster.id))
            _ = try await connections.client(for: record, as: nil)
            #expect(await connections.states[cluster.id] != nil)

            // The deletion lands between that read and the call (a watch reconnecting, a probe).
            await connections.remove(cluster.id)
            let refusal = await #expect(throws: APIError.self) { try await connections.client(for: record, as: nil) }
            #expect(refusal?.code == .clusterNotFound)
            // Neither a client nor a state series is kept for it.
            #expect(await connections.states[cluster.id] == nil)
            #expect(await !connections.knownClusters().contains(cluster.id))
        }
    }

    @Test("Every metric the gateway exposes is in the README's table, and the dashboard uses only those")
    func metricsAreDocumented() async throws {
        try await SimCluster.with { cluster in
            // Make every labelled family appear: a watch, an API call, a cluster state.
            let exposition = Shared("")
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let channel = try await socket.subscribe(LiveWatchTests.watchConfigMaps(cluster))
                var view = WatchView()
                try await socket.follow(channel, into: &view) { $0.synced }
                _ = try await cluster.get("/namespaces")
                exposition.set(try await Probe.get(cluster.gateway.port, "/metrics", token: cluster.admin).body)
            }
            let exposed = Set(
                exposition.get().split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
                    .map { String($0.split(separator: " ")[2]) })
            #expect(exposed.contains("kubegale_upstream_watches_open") && exposed.contains("kubegale_request_duration_seconds"))
            let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
            let documented = Self.metricNames(in: readme)
            #expect(exposed.subtracting(documented).isEmpty, "not in the README: \(exposed.subtracting(documented).sorted())")
            let dashboard = try String(
                contentsOf: Self.repository.appendingPathComponent("deploy/optional/grafana-dashboard.yaml"), encoding: .utf8)
            let used = Self.metricNames(in: dashboard)
            #expect(!used.isEmpty)
            #expect(used.subtracting(exposed).isEmpty, "the dashboard uses unknown metrics: \(used.subtracting(exposed).sorted())")
        }
    }

    @Test("Conflation of a lagging watch subscriber is counted")
    func conflationsAreCounted() async {
        let metrics = GatewayMetrics()
        let mailbox = WatchMailbox(conflateAfter: 2, limit: 10, conflations: metrics.conflations)
        func configMap(_ name: String, _ version: Int) -> JSONValue {
            ["kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "demo", "resourceVersion": .string(String(version))]]
        }
        mailbox.put(.change(WatchChange(.added, configMap("a", 1))))
        mailbox.put(.change(WatchChange(.added, configMap("b", 2))))
        #expect(Self.series(String(decoding: metrics.exposition(), as: UTF8.self))["kubegale_watch_conflations_total"] == 0)
        mailbox.put(.change(WatchChange(.modified, configMap("a", 3))))  // merged into the waiting ADDED
        mailbox.put(.change(WatchChange(.deleted, configMap("b", 4))))  // cancels the waiting ADDED
        mailbox.put(.change(WatchChange(.added, configMap("c", 5))))  // a new object: not conflated
        #expect(Self.series(String(decoding: metrics.exposition(), as: UTF8.self))["kubegale_watch_conflations_total"] == 2)
    }

    @Test("Every HTTP response carries the request's id, the caller's when usable, and the log line has it")
    func requestIDs() async throws {
        try await TestGateway.with { gateway in
            func get(_ path: String, id: String?) async throws -> String? {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(gateway.port)\(path)")
                if let id { request.headers.add(name: "X-Request-Id", value: id) }
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                _ = try await response.body.collect(upTo: 1 << 20)
                return response.headers.first(name: "X-Request-Id")
            }
            #expect(try await get("/healthz", id: "edge-1234.abc:9") == "edge-1234.abc:9")
            #expect(gateway.logs.text.contains("edge-1234.abc:9"))

            let generated = try #require(try await get("/api/v1/kubernetes/clusters", id: nil))
            #expect(!generated.isEmpty)
            #expect(gateway.logs.text.contains(generated))
            // Unusable ids (spaces, quotes, too long) are replaced, never echoed or logged.
            for bad in ["two words", "\"quoted\"", String(repeating: "x", count: 129)] {
                let answered = try #require(try await get("/healthz", id: bad))
                #expect(answered != bad && !answered.isEmpty)
                #expect(!gateway.logs.text.contains(bad))
            }
            // A route that does not exist is logged with its id too.
            let missing = try #require(try await get("/no-such-route", id: "missing-route-1"))
            #expect(missing == "missing-route-1")
            #expect(gateway.logs.text.contains("missing-route-1"))
        }
    }
}
