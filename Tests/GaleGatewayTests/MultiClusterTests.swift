import Foundation
import GaleJSON
import GaleProtocol
import KubeClient
import KubeSim
import NIOHTTP1
import TestSupport
import Testing

@testable import GaleGateway

/// Views over several clusters through the real gateway, with two KubeSim clusters registered:
/// merged paged lists, the overview, merged watches, and token scopes.
@Suite(.timeLimit(.minutes(2)))
struct MultiClusterTests {
    /// The gateway's KubeSim (`first`) and a second KubeSim registered beside it.
    private static func withTwoClusters(
        live: LiveConfiguration = .forTests,
        _ body: @Sendable (_ first: SimCluster, _ second: KubeSimServer, _ secondID: Int64) async throws -> Void
    ) async throws {
        try await SimCluster.with(live: live) { cluster in
            let second = KubeSimServer(configuration: .init(port: TestPorts.next(), podStartDelay: .milliseconds(50)))
            try await second.start()
            do {
                let secondID = try await cluster.gateway.register(
                    "sim-two", kubeconfig: try second.kubeconfig(), token: cluster.admin)
                try await body(cluster, second, secondID)
            } catch {
                await second.stop()
                throw error
            }
            await second.stop()
        }
    }

    private static func client(_ simulator: KubeSimServer) throws -> KubeClient {
        try KubeClient(target: try Kubeconfig(yaml: try simulator.kubeconfig()).resolve())
    }

    private static let configMaps = ResourceCatalog.standard.resource(named: "configmaps")!

    private static func configMap(_ name: String) -> GaleJSON.JSONValue {
        ["metadata": ["name": .string(name), "namespace": "demo"], "data": ["k": "v"]]
    }

    /// `cluster_id/namespace/name` of each merged item.
    private static func identities(_ data: GaleJSON.JSONValue?) -> [String] {
        (data?["items"]?.arrayValue ?? []).map { item in
            let metadata = item["object"]?["metadata"]
            return "\(item["cluster_id"]?.intValue ?? 0)/\(metadata?["namespace"]?.stringValue ?? "")/"
                + (metadata?["name"]?.stringValue ?? "")
        }
    }

    @Test(
        "merged lists: every item attributed, stable order, paging and keyword across clusters, a down cluster reported"
    )
    func mergedLists() async throws {
        try await Self.withTwoClusters { cluster, second, secondID in
            let first = cluster.id
            let secondClient = try Self.client(second)
            defer { Task { try? await secondClient.shutdown() } }
            _ = try await secondClient.create(
                Self.configMaps, namespace: "demo", object: Self.configMap("only-on-two-config"))
            let ids = "\(first),\(secondID)"
            var all: [String] = []
            try await cluster.eventually {
                let (_, envelope) = try await cluster.gateway.http(
                    .GET, "/multicluster/configmaps?cluster_id=\(ids)&namespace=demo&keyword=config&pageSize=500",
                    token: cluster.admin)
                all = Self.identities(envelope["data"])
                return all.contains("\(secondID)/demo/only-on-two-config")
            }
            // Each cluster has the demo's nginx-config and api-config; the second one more.
            #expect(
                all == [
                    "\(first)/demo/api-config", "\(first)/demo/nginx-config", "\(secondID)/demo/api-config",
                    "\(secondID)/demo/nginx-config", "\(secondID)/demo/only-on-two-config",
                ])
            let (_, page2) = try await cluster.gateway.http(
                .GET, "/multicluster/configmaps?cluster_id=\(ids)&namespace=demo&keyword=config&pageSize=2&page=2",
                token: cluster.admin)
            let data = page2["data"]
            #expect(page2["code"] == 0)
            #expect(Self.identities(data) == Array(all[2..<4]))
            #expect(data?["total"]?.intValue == 5)
            #expect(data?["items"]?[0]?["cluster_name"] == "sim-two")
            #expect(data?["items"]?[0]?["object"]?["metadata"]?["name"] == "api-config")
            let reports = data?["clusters"]?.arrayValue ?? []
            #expect(reports.map { $0["status"] } == ["ok", "ok"])
            #expect(reports.map { $0["cluster_id"]?.intValue } == [first, secondID])

            let (_, everything) = try await cluster.gateway.http(
                .GET, "/multicluster/configmaps?cluster_id=*&namespace=demo&keyword=config&pageSize=500",
                token: cluster.admin)
            #expect(Self.identities(everything["data"]) == all)

            // A Warning event on the second cluster, the newest there is.
            let events = try #require(ResourceCatalog.standard.resource(named: "events"))
            _ = try await secondClient.create(
                events, namespace: "demo",
                object: [
                    "metadata": ["name": "web.test-warning", "namespace": "demo"],
                    "involvedObject": ["kind": "Pod", "name": "web", "namespace": "demo"],
                    "reason": "TestWarning", "message": "something is off", "type": "Warning", "count": 2,
                    "lastTimestamp": "2099-01-01T00:00:00Z",
                ])
            var entries: [GaleJSON.JSONValue] = []
            try await cluster.eventually {
                let (_, overview) = try await cluster.gateway.http(
                    .GET, "/clusters/overview?warnings=3", token: cluster.admin)
                entries = overview["data"]?["items"]?.arrayValue ?? []
                return entries.last?["warnings"]?[0]?["reason"] == "TestWarning"
            }
            #expect(entries.map { $0["cluster_id"]?.intValue } == [first, secondID])
            for entry in entries {
                #expect(entry["status"] == "ok")
                #expect(entry["nodes"]?["total"] == 3)
                #expect(entry["nodes"]?["ready"] == 3)
                #expect((entry["pods"]?["total"]?.intValue ?? 0) > 0)
                #expect((entry["pods"]?["phases"]?["Running"]?.intValue ?? 0) > 0)
                #expect((entry["warnings"]?.arrayValue?.count ?? 4) <= 3)
            }
            let warning = entries.last?["warnings"]?[0]
            #expect(warning?["message"] == "something is off" && warning?["kind"] == "Pod" && warning?["count"] == 2)
            #expect(entries.first?["warnings"]?.arrayValue?.contains { $0["reason"] == "TestWarning" } == false)

            // The second cluster goes down: the merged list still answers, and says so.
            await second.stop()
            let (status, down) = try await cluster.gateway.http(
                .GET, "/multicluster/secrets?cluster_id=\(ids)&namespace=demo", token: cluster.admin)
            #expect(status == 200 && down["code"] == 0)
            let downReports = down["data"]?["clusters"]?.arrayValue ?? []
            #expect(downReports.first?["status"] == "ok")
            #expect(downReports.last?["status"] == "unreachable")
            #expect(downReports.last?["code"] == 1006)
            #expect(Self.identities(down["data"]).allSatisfy { $0.hasPrefix("\(first)/") })
            #expect(!Self.identities(down["data"]).isEmpty)
        }
    }

    @Test("a token scoped to one cluster never sees another's objects in merged views")
    func scopedToken() async throws {
        try await Self.withTwoClusters { cluster, second, secondID in
            let first = cluster.id
            let scoped = try await cluster.gateway.token(.viewer, clusters: .only([String(first)]))
            let (_, everything) = try await cluster.gateway.http(
                .GET, "/multicluster/configmaps?cluster_id=*&namespace=demo&pageSize=500", token: scoped)
            #expect(everything["code"] == 0)
            #expect(!Self.identities(everything["data"]).isEmpty)
            #expect(Self.identities(everything["data"]).allSatisfy { $0.hasPrefix("\(first)/") })
            #expect(everything["data"]?["clusters"]?.arrayValue?.count == 1)

            let (_, named) = try await cluster.gateway.http(
                .GET, "/multicluster/configmaps?cluster_id=\(first),\(secondID)&namespace=demo", token: scoped)
            #expect(Self.identities(named["data"]).allSatisfy { $0.hasPrefix("\(first)/") })
            let refused = named["data"]?["clusters"]?.arrayValue?.last
            #expect(refused?["status"] == "forbidden")
            #expect(refused?["code"] == 1005)
            #expect(refused?["cluster_name"] == nil)

            let (_, overview) = try await cluster.gateway.http(.GET, "/clusters/overview", token: scoped)
            #expect(overview["data"]?["items"]?.arrayValue?.map { $0["cluster_id"]?.intValue } == [first])

            try await cluster.gateway.socket(SocketOptions(token: scoped)) { socket in
                await #expect(throws: SubscribeRefused.self) {
                    _ = try await socket.subscribe([
                        "stream": "watch", "cluster": .string("\(first),\(secondID)"), "resource": "configmaps",
                        "namespace": "demo",
                    ])
                }
                let channel = try await socket.subscribe([
                    "stream": "watch", "cluster": "*", "resource": "configmaps", "namespace": "demo",
                ])
                var clusters: Set<String> = []
                while true {
                    let frame = try await socket.receive()
                    if case .event(let event) = frame, event.channel == channel {
                        clusters.insert(event.fields["cluster"]?.stringValue ?? "none")
                    }
                    if case .synced(channel, _, _) = frame { break }
                }
                #expect(clusters == [String(first)])
            }
        }
    }

    @Test("a merged watch attributes events to their clusters and reports a cluster that stops")
    func mergedWatch() async throws {
        try await Self.withTwoClusters { cluster, second, secondID in
            let first = cluster.id
            let firstClient = try cluster.kubeClient()
            let secondClient = try Self.client(second)
            defer {
                Task {
                    try? await firstClient.shutdown()
                    try? await secondClient.shutdown()
                }
            }
            try await cluster.gateway.socket(SocketOptions(token: cluster.admin)) { socket in
                let channel = try await socket.subscribe([
                    "stream": "watch", "cluster": .string("\(first),\(secondID)"), "resource": "configmaps",
                    "namespace": "demo",
                ])
                var objects: Set<String> = []
                var lastSeq: UInt64 = 0
                var synced = false
                var statuses: [(String, String)] = []
                func apply(_ frame: ServerFrame) {
                    switch frame {
                    case .event(let event) where event.channel == channel:
                        #expect(event.seq == lastSeq + 1)
                        lastSeq = event.seq
                        let key =
                            "\(event.fields["cluster"]?.stringValue ?? "none")/"
                            + (event.fields["object"]?["metadata"]?["name"]?.stringValue ?? "")
                        if event.event == "DELETED" { objects.remove(key) } else { objects.insert(key) }
                    case .synced(channel, _, _):
                        synced = true
                    case .status(let cluster, let state, _):
                        statuses.append((cluster, state))
                    default:
                        break
                    }
                }
                while !synced { apply(try await socket.receive()) }
                #expect(objects.contains("\(first)/nginx-config") && objects.contains("\(secondID)/nginx-config"))

                _ = try await firstClient.create(
                    Self.configMaps, namespace: "demo", object: Self.configMap("made-on-one"))
                _ = try await secondClient.create(
                    Self.configMaps, namespace: "demo", object: Self.configMap("made-on-two"))
                while !(objects.contains("\(first)/made-on-one") && objects.contains("\(secondID)/made-on-two")) {
                    apply(try await socket.receive())
                }
                #expect(!objects.contains("\(secondID)/made-on-one") && !objects.contains("\(first)/made-on-two"))

                await second.stop()
                while !statuses.contains(where: { $0.0 == String(secondID) && $0.1 != "connected" }) {
                    apply(try await socket.receive())
                }
                #expect(!statuses.contains { $0.0 == String(first) })

                // It comes back: the channel says so, and its changes flow again, attributed.
                try await second.start()
                _ = try await secondClient.create(
                    Self.configMaps, namespace: "demo", object: Self.configMap("after-return"))
                while !(objects.contains("\(secondID)/after-return")
                    && statuses.last(where: { $0.0 == String(secondID) })?.1 == "connected")
                {
                    apply(try await socket.receive())
                }
            }
        }
    }

    @Test(
        "a merged watch resumes with its session: a gap past the ring brings resync and every cluster's snapshot; a narrower token loses it"
    )
    func mergedResume() async throws {
        var live = LiveConfiguration.forTests
        live.replayFrames = 4
        try await Self.withTwoClusters(live: live) { cluster, second, secondID in
            let first = cluster.id
            let left = Shared<(String, UInt32)?>(nil)
            try await cluster.gateway.socket(SocketOptions(token: cluster.admin)) { socket in
                let hello = try await socket.hello()
                let channel = try await socket.subscribe([
                    "stream": "watch", "cluster": "*", "resource": "configmaps", "namespace": "demo",
                ])
                while true {
                    if case .synced(channel, _, _) = try await socket.receive() { break }
                }
                left.set((hello.session, channel))
            }
            let (session, channel) = try #require(left.get())
            let detached = try #require(cluster.gateway.gateway.sessions.live.session(session))
            let before = try #require(detached.lastSeq(of: channel))
            let secondClient = try Self.client(second)
            defer { Task { try? await secondClient.shutdown() } }
            for index in 1...8 {
                _ = try await secondClient.create(
                    Self.configMaps, namespace: "demo", object: Self.configMap("gap-\(index)"))
            }
            try await cluster.eventually { (detached.lastSeq(of: channel) ?? 0) >= before + 8 }

            try await cluster.gateway.socket(SocketOptions(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                try await socket.send(.hello(.init(session: session, lastSeq: [channel: before])))
                var resynced = false
                var objects: Set<String> = []
                while true {
                    let frame = try await socket.receive()
                    if case .resync(channel, _) = frame {
                        resynced = true
                        objects = []
                    }
                    if case .event(let event) = frame, event.channel == channel, resynced {
                        objects.insert(
                            "\(event.fields["cluster"]?.stringValue ?? "")/"
                                + (event.fields["object"]?["metadata"]?["name"]?.stringValue ?? ""))
                    }
                    if case .synced(channel, _, _) = frame, resynced { break }
                }
                #expect(objects.contains("\(first)/nginx-config"))
                #expect(objects.contains("\(secondID)/nginx-config"))
                #expect(objects.contains("\(secondID)/gap-8"))
            }

            // The same subject with a token for the first cluster only may not keep the channel.
            let narrower = try await cluster.gateway.token(.admin, clusters: .only([String(first)]))
            try await cluster.gateway.socket(SocketOptions(token: narrower)) { socket in
                _ = try await socket.hello()
                try await socket.send(.hello(.init(session: session, lastSeq: [channel: 0])))
                var refused = false
                while !refused {
                    switch try await socket.receive() {
                    case .error(_, let errorChannel, let code, _) where errorChannel == channel:
                        #expect(code == .forbidden)
                        refused = true
                    case .event(let event) where event.channel == channel:
                        Issue.record("an event of the channel reached the narrower token")
                    default:
                        break
                    }
                }
            }
        }
    }

    @Test("cluster selections parse lists and *, and refuse anything else")
    func selections() throws {
        #expect(try ClusterSelection("*").ids == nil)
        #expect(try ClusterSelection("3, 1,3").ids == ["3", "1"])
        #expect(ClusterSelection.isSelection("1,2") && ClusterSelection.isSelection("*"))
        #expect(!ClusterSelection.isSelection("12"))
        #expect(throws: APIError.self) { try ClusterSelection("1,,2") }
        #expect(throws: APIError.self) { try ClusterSelection("1,x") }
        #expect(throws: APIError.self) {
            try ClusterSelection((1...65).map(String.init).joined(separator: ","))
        }
    }
}
