import Foundation
import GaleJSON
import GaleProtocol
import KubeClient
import KubeSim
import NIOHTTP1
import Testing

@testable import GaleGateway

/// Client resume: a reconnecting client gets exactly what it missed, or `resync` and a snapshot.
@Suite(.timeLimit(.minutes(2)))
struct LiveResumeTests {
    static func create(_ cluster: SimCluster, _ names: [String]) async throws {
        let client = try cluster.kubeClient()
        defer { Task { try? await client.shutdown() } }
        for name in names {
            _ = try await client.create(
                try #require(ResourceCatalogLookup.configMaps), namespace: "demo",
                object: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": ["v": "1"]])
        }
    }

    /// Opens a socket, watches the demo config maps until synced, and leaves; returns the session,
    /// channel and view.
    static func watchThenLeave(_ cluster: SimCluster) async throws -> (session: String, channel: UInt32, view: WatchView) {
        let result = Shared<(String, UInt32, WatchView)?>(nil)
        try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
            let hello = try await socket.hello()
            let channel = try await socket.subscribe(LiveWatchTests.watchConfigMaps(cluster))
            var view = WatchView()
            try await socket.follow(channel, into: &view) { $0.synced }
            result.set((hello.session, channel, view))
        }
        let (session, channel, view) = try #require(result.get())
        return (session, channel, view)
    }

    @Test("A hello sent after other frames cannot take the socket to an earlier session: it is answered with the current one, and the work already asked for is kept")
    func helloAfterOtherFrames() async throws {
        try await SimCluster.with { cluster in
            let (session, channel, _) = try await Self.watchThenLeave(cluster)
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                let current = try await socket.hello()
                // A subscribe, and right behind it (before its answer) a hello naming the old session.
                var members = LiveWatchTests.watchConfigMaps(cluster)
                members["type"] = "subscribe"
                members["id"] = "fresh"
                try await socket.send(text: GaleJSON.JSONValue.object(members).jsonString)
                try await socket.send(.hello(.init(session: session, lastSeq: [channel: 1])))
                var answered: ServerFrame.Hello?
                var fresh: UInt32?
                var view = WatchView()
                while answered == nil || fresh == nil || !view.synced {
                    let frame = try await socket.receive()
                    switch frame {
                    case .hello(let hello): answered = hello
                    case .subscribed(.string("fresh"), let opened): fresh = opened
                    default: if let fresh { view.apply(frame, channel: fresh) }
                    }
                }
                #expect(answered?.session == current.session)
                #expect(view.problems.isEmpty, "\(view.problems)")
                #expect(!view.objects.isEmpty)
            }
        }
    }

    @Test("A client that reconnects within the window gets exactly the events it missed")
    func replayWithinWindow() async throws {
        try await SimCluster.with { cluster in
            let (session, channel, left) = try await Self.watchThenLeave(cluster)
            let before = left.lastSeq
            try await Self.create(cluster, ["missed-1", "missed-2", "missed-3"])
            // The three events reach the detached session.
            let detached = try #require(cluster.gateway.gateway.sessions.live.session(session))
            #expect(try await eventually { (detached.lastSeq(of: channel) ?? 0) >= before + 3 })
            let resumed = Shared(left)
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                try await socket.send(.hello(.init(session: session, lastSeq: [channel: before])))
                guard case .hello(let hello) = try await socket.receive() else { throw TestFailure("no hello") }
                #expect(hello.session == session)
                var view = resumed.get()
                try await socket.follow(channel, into: &view) { $0.objects["demo/missed-3"] != nil }
                resumed.set(view)
            }
            let view = resumed.get()
            #expect(view.problems.isEmpty, "\(view.problems)")
            #expect(view.resyncs == 0)
            #expect(view.events.suffix(3).map(\.key) == ["demo/missed-1", "demo/missed-2", "demo/missed-3"])
            #expect(view.lastSeq == before + 3)
            #expect(view.versions == (try await cluster.clusterVersions(LiveWatchTests.configMaps)))
        }
    }

    @Test("A gap larger than the replay ring gets resync and a fresh snapshot")
    func resyncWhenGapTooOld() async throws {
        var live = LiveConfiguration.forTests
        live.replayFrames = 4
        try await SimCluster.with(live: live) { cluster in
            let (session, channel, view) = try await Self.watchThenLeave(cluster)
            try await Self.create(cluster, (1...8).map { "gap-\($0)" })
            // The detached session's channel has been handed all eight: more than its ring keeps.
            // (The shared watch's cache may show them before the channel has them; under load a
            // resume in between would find no gap.)
            let detached = try #require(cluster.gateway.gateway.sessions.live.session(session))
            #expect(try await eventually { (detached.lastSeq(of: channel) ?? 0) >= view.lastSeq + 8 })
            let resumed = Shared(view)
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                try await socket.send(.hello(.init(session: session, lastSeq: [channel: view.lastSeq])))
                var view = resumed.get()
                try await socket.follow(channel, into: &view) { $0.resyncs == 1 && $0.synced }
                resumed.set(view)
            }
            let final = resumed.get()
            #expect(final.versions == (try await cluster.clusterVersions(LiveWatchTests.configMaps)))
            #expect(final.objects["demo/gap-8"] != nil)
        }
    }

    @Test("After the window the session is new; a watch resumed by resourceVersion alone gets what changed since, never a silent reset")
    func afterWindowResumeByResourceVersion() async throws {
        var live = LiveConfiguration.forTests
        live.resumeWindow = .milliseconds(500)
        try await SimCluster.with(live: live) { cluster in
            let (session, channel, view) = try await Self.watchThenLeave(cluster)
            try await Self.create(cluster, ["late-1"])
            // The window passes and the sweep ends the detached session.
            let sessions = cluster.gateway.gateway.sessions.live
            #expect(try await eventually { sessions.count == 0 })
            let lastVersion = view.events.last?.resourceVersion
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                try await socket.send(.hello(.init(session: session, lastSeq: [channel: view.lastSeq])))
                guard case .hello(let hello) = try await socket.receive() else { throw TestFailure("no hello") }
                #expect(hello.session != session)
                var options = LiveWatchTests.watchConfigMaps(cluster)
                options["resourceVersion"] = lastVersion.map { .string($0) } ?? .null
                let again = try await socket.subscribe(options)
                // The client keeps what it shows and applies what the channel sends: the changes
                // since its resourceVersion (from the apiserver: the shared watch it had is gone),
                // or `resync` and a snapshot.
                var shown = view
                shown.synced = false
                shown.lastSeq = 0
                try await socket.follow(again, into: &shown) { $0.synced }
                #expect(shown.objects["demo/late-1"] != nil)
                #expect(shown.versions == (try await cluster.clusterVersions(LiveWatchTests.configMaps)))
                #expect(shown.problems.isEmpty, "\(shown.problems)")
            }
        }
    }

    @Test("After a gateway restart, a watch resumed by resourceVersion gets the changes since then from the apiserver, not a resync")
    func resumeByResourceVersionAfterRestart() async throws {
        let simulator = KubeSimServer(configuration: .init(podStartDelay: .milliseconds(50)))
        try await simulator.start()
        defer { Task { await simulator.stop() } }
        let kubeconfig = try simulator.kubeconfig()
        let client = try KubeClient(target: try Kubeconfig(yaml: kubeconfig).resolve())
        defer { Task { try? await client.shutdown() } }
        let configMaps = try #require(ResourceCatalogLookup.configMaps)
        func make(_ name: String, _ value: String) -> GaleJSON.JSONValue {
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": ["v": .string(value)]]
        }
        for name in ["keep", "change", "drop"] {
            _ = try await client.create(configMaps, namespace: "demo", object: make(name, "1"))
        }
        func register(_ gateway: TestGateway) async throws -> (token: String, id: Int64) {
            let admin = try await gateway.token()
            return (admin, try await gateway.register("sim", kubeconfig: kubeconfig, token: admin))
        }
        // The first gateway: a client watches, then the gateway goes away.
        let seen = try await TestGateway.with { gateway in
            let (admin, id) = try await register(gateway)
            let result = Shared(WatchView())
            try await gateway.socket(.init(token: admin)) { socket in
                _ = try await socket.hello()
                result.set(try await socket.watchConfigMaps(cluster: id).view)
            }
            return result.get()
        }
        let version = try #require(seen.events.map(\.resourceVersion).compactMap { UInt64($0) }.max())
        // While no gateway runs, the cluster changes.
        _ = try await client.create(configMaps, namespace: "demo", object: make("new", "1"))
        _ = try await client.replace(configMaps, namespace: "demo", name: "change", object: make("change", "2"))
        _ = try await client.delete(configMaps, namespace: "demo", name: "drop")

        // A new gateway (or another replica): the client subscribes again from its resourceVersion.
        try await TestGateway.with { gateway in
            let (admin, id) = try await register(gateway)
            try await gateway.socket(.init(token: admin)) { socket in
                _ = try await socket.hello()
                let channel = try await socket.subscribe([
                    "stream": "watch", "cluster": .int(id), "resource": "configmaps", "namespace": "demo",
                    "resourceVersion": .string(String(version)),
                ])
                var view = seen  // what the client shows; the new channel counts seq from 1
                view.synced = false
                view.lastSeq = 0
                try await socket.follow(channel, into: &view) { $0.synced || $0.resyncs > 0 }
                #expect(view.resyncs == 0)
                #expect(view.events.suffix(3).map(\.event) == ["ADDED", "MODIFIED", "DELETED"])
                #expect(view.events.suffix(3).map(\.key) == ["demo/new", "demo/change", "demo/drop"])
                var truth: [String: String] = [:]
                for item in try await client.list(configMaps, namespace: "demo")["items"]?.arrayValue ?? [] {
                    truth["demo/" + (item["metadata"]?["name"]?.stringValue ?? "")] =
                        item["metadata"]?["resourceVersion"]?.stringValue
                }
                #expect(view.versions == truth)
                #expect(view.problems.isEmpty, "\(view.problems)")
            }
        }
    }

    @Test("A watch resumed by resourceVersion on a live upstream gets only the later changes")
    func resumeByResourceVersion() async throws {
        try await SimCluster.with { cluster in
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                // This subscription keeps the shared watch (and its history) alive.
                let keeper = try await socket.subscribe(LiveWatchTests.watchConfigMaps(cluster))
                var kept = WatchView()
                try await socket.follow(keeper, into: &kept) { $0.synced }
                try await Self.create(cluster, ["rv-1"])
                try await socket.follow(keeper, into: &kept) { $0.objects["demo/rv-1"] != nil }
                let version = try #require(kept.events.last?.resourceVersion)
                try await Self.create(cluster, ["rv-2", "rv-3"])
                try await socket.follow(keeper, into: &kept) { $0.objects["demo/rv-3"] != nil }
                var options = LiveWatchTests.watchConfigMaps(cluster)
                options["resourceVersion"] = .string(version)
                let resumed = try await socket.subscribe(options)
                var view = WatchView(synced: true)
                var frames: [ServerFrame] = []
                while true {
                    let frame = try await socket.receive()
                    frames.append(frame)
                    view.apply(frame, channel: resumed)
                    if case .synced(resumed, _, _) = frame { break }
                }
                #expect(view.resyncs == 0)
                #expect(view.events.map(\.key) == ["demo/rv-2", "demo/rv-3"])
            }
        }
    }
}
