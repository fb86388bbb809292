import AsyncHTTPClient
import Foundation
import GaleJSON
import GaleProtocol
import KubeSim
import Logging
import NIOCore
import NIOHTTP1
import Testing

@testable import GaleGateway

/// Live pod logs end to end against KubeSim: following, merging, reconnecting, backpressure,
/// errors, and the HTTP follow stream.
@Suite("Live logs: follow, merge, reconnect, backpressure, HTTP stream")
struct LogStreamTests {
    @Test("one container: tail then follow, attributed and in order; without follow the log ends")
    func tailAndFollow() async throws {
        try await LogFixture.with { fixture in
            let pod = try await fixture.cluster.runningPod(label: "app=nginx")
            let subscription = try await fixture.subscribe(["namespace": "demo", "name": .string(pod), "tailLines": 3])
            #expect(subscription.targets.map(\.description) == ["demo/\(pod)/nginx"])
            let lines = try await fixture.read(subscription) { $0.count >= 10 }
            #expect(lines.count == 10)
            #expect(lines.allSatisfy { $0.pod == pod && $0.container == "nginx" })
            #expect(zip(lines, lines.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })
            #expect(LogFixture.isContiguous(lines, in: try await fixture.fullLog(pod: pod)))

            let once = try await fixture.subscribe([
                "namespace": "demo", "name": .string(pod), "tailLines": 3, "follow": false,
            ])
            let tail = try await fixture.read(once) { _ in false }
            #expect(tail.count == 3)
            let log = try await fixture.fullLog(pod: pod)
            #expect(LogFixture.isContiguous(tail, in: log))
            #expect(tail.last.map { line in log.contains { $0.timeText == line.timeText } } == true)
        }
    }

    @Test("a label selector merges a deployment's pods in time order, every line attributed")
    func mergedPods() async throws {
        var configuration = LogFixture.quick
        // Wide enough that a loaded machine (a CI neighbour) does not deliver a line later than it.
        configuration.reorderWindow = .seconds(1)
        try await LogFixture.with(configuration: configuration) { fixture in
            var pods: [String] = []
            _ = try await eventually {
                pods = try await fixture.cluster.runningPods(label: "app=nginx")
                return pods.count == 3
            }
            let subscription = try await fixture.subscribe([
                "namespace": "demo", "labelSelector": "app=nginx", "tailLines": 5,
            ])
            #expect(subscription.targets.map(\.pod) == pods.sorted())
            let workload = try await fixture.subscribe([
                "namespace": "demo", "workload": "deployment/nginx", "tailLines": 5,
            ])
            #expect(workload.targets == subscription.targets)

            // Until every pod has its tail and more: on a loaded machine one pod's follower may
            // start later than the others, and a count over all pods would stop before it speaks.
            let followed = pods
            let lines = try await fixture.read(subscription) { lines in
                lines.count >= 45 && followed.allSatisfy { pod in lines.count { $0.pod == pod } >= 6 }
            }
            #expect(Set(lines.map(\.pod)) == Set(pods))
            #expect(zip(lines, lines.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
            for pod in pods {
                let own = lines.filter { $0.pod == pod }
                #expect(own.count >= 5)
                #expect(LogFixture.isContiguous(own, in: try await fixture.fullLog(pod: pod)))
            }
        }
    }

    @Test("containers: the default-container annotation, one by name, or all of them")
    func containers() async throws {
        try await LogFixture.with { fixture in
            try await fixture.createPod(
                "duo", labels: ["app": "duo"], containers: ["sidecar", "app"], defaultContainer: "app")
            let preferred = try await fixture.subscribe(["namespace": "demo", "name": "duo"])
            #expect(preferred.targets.map(\.container) == ["app"])
            let named = try await fixture.subscribe(["namespace": "demo", "name": "duo", "container": "sidecar"])
            #expect(named.targets.map(\.container) == ["sidecar"])

            let all = try await fixture.subscribe([
                "namespace": "demo", "name": "duo", "allContainers": true, "follow": false,
            ])
            #expect(all.targets.map(\.container) == ["sidecar", "app"])
            let lines = try await fixture.read(all) { _ in false }
            #expect(Set(lines.map(\.container)) == ["sidecar", "app"])
            #expect(zip(lines, lines.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
            for container in ["sidecar", "app"] {
                let own = lines.filter { $0.container == container }
                let log = try await fixture.fullLog(pod: "duo", container: container)
                #expect(LogFixture.isContiguous(own, in: log) && own.first?.timeText == log.first?.timeText)
            }
        }
    }

    @Test("a container that terminates ends its follower, after the whole rest of its log")
    func terminatedContainer() async throws {
        // The job's container runs for 5 s, for the follow to start while it runs; on a machine so
        // loaded that the pod is found only after it ended, the follower reads a finished log instead.
        try await LogFixture.with(jobRunDuration: .seconds(5)) { fixture in
            let job: GaleJSON.JSONValue = [
                "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "once", "namespace": "demo"],
                "spec": [
                    "template": [
                        "metadata": ["labels": ["app": "once"]],
                        "spec": ["restartPolicy": "Never", "containers": [["name": "main", "image": "busybox:1.36"]]],
                    ]
                ],
            ]
            let (_, created) = try await fixture.cluster.send(.POST, "/jobs", ["namespace": "demo", "content": job])
            #expect(created["code"]?.intValue == 0)
            let pod = try await fixture.cluster.startedPod(label: "app=once")
            let subscription = try await fixture.subscribe(["namespace": "demo", "name": .string(pod)])
            let lines = try await fixture.read(subscription) { _ in false }  // ends by itself
            #expect(try await fixture.cluster.podPhase(pod) == "Succeeded")
            let log = try await fixture.fullLog(pod: pod)
            #expect(!lines.isEmpty && lines.map(\.timeText) == log.map(\.timeText))
        }
    }

    @Test("an upstream cut mid-line loses and doubles nothing; the state goes reconnecting, then connected")
    func upstreamCut() async throws {
        try await LogFixture.with { fixture in
            let pod = try await fixture.cluster.runningPod(label: "app=nginx")
            let subscription = try await fixture.subscribe(["namespace": "demo", "name": .string(pod), "tailLines": 5])
            let states = StateLog()
            let faults = fixture.cluster.simulator.faults
            // The second cut waits until the stream is back from the first (reported connected, and
            // open on KubeSim): lines that arrive as a reconnect's backlog could otherwise reach 40
            // before the new stream is there to cut.
            let cuts = Shared(0)
            let lines = try await fixture.read(subscription, onState: states.append) { lines in
                let reported = states.all.map(\.0)
                let back = reported.firstIndex(of: .reconnecting).map { reported[$0...].contains(.connected) } ?? false
                if cuts.get() == 0, lines.count >= 15 {
                    cuts.set(1)
                    faults.dropLogStreams()
                } else if cuts.get() == 1, lines.count >= 40, back, faults.openLogStreamCount > 0 {
                    cuts.set(2)
                    faults.dropLogStreams()
                }
                // KubeSim cuts a stream at its next tick: the second cut has happened once it was reported.
                let reconnects = reported.filter { $0 == .reconnecting }.count
                return cuts.get() == 2 && lines.count >= 70 && reconnects == 2 && states.all.last?.0 == .connected
            }
            #expect(Set(lines.map(\.timeText)).count == lines.count)
            #expect(LogFixture.isContiguous(lines, in: try await fixture.fullLog(pod: pod)))
            let reported = states.all.map(\.0)
            #expect(reported.filter { $0 == .reconnecting }.count == 2, "\(states.all)")
            #expect(reported.last == .connected)
            #expect(states.all.first?.1?.contains(pod) == true)
        }
    }

    @Test("a consumer that stops reading stops its upstream: bounded lines held, none lost")
    func stalledConsumer() async throws {
        var configuration = LogFixture.quick
        configuration.bufferedLines = 40
        try await LogFixture.with(linesPerSecond: 200, configuration: configuration) { fixture in
            let pod = try await fixture.cluster.runningPod(label: "app=nginx")
            let subscription = try await fixture.subscribe(["namespace": "demo", "name": .string(pod), "tailLines": 0])
            let lines: [LogLine] = try await within(.seconds(60)) {
                try await subscription.run(onState: { _, _ in }) { lines in
                    var iterator = lines.makeAsyncIterator()
                    var read = [try #require(try await iterator.next())]
                    // The merger fills its buffer and stops reading, while the pod goes on writing:
                    // wait until 2 s of lines (400) were written after the first one read.
                    #expect(try await eventually { lines.merger.pendingLines == 40 })
                    let stalled = read[0].time
                    #expect(try await eventually(timeout: .seconds(30)) {
                        try await fixture.fullLog(pod: pod).count { $0.time > stalled } >= 400
                    })
                    // Still at the bound: nothing was read beyond it (nor dropped, checked at the end).
                    #expect(lines.merger.pendingLines == 40)
                    let resumed = Date()
                    while read.count < 700, let line = try await iterator.next() { read.append(line) }
                    // What was written during the stall was waiting upstream, and arrives now.
                    #expect(read[20].time < resumed.addingTimeInterval(-1.5))
                    return read
                }
            }
            #expect(lines.count == 700)
            #expect(LogFixture.isContiguous(lines, in: try await fixture.fullLog(pod: pod)))
        }
    }

    @Test("errors before streaming: options, missing namespace, pod or workload, too many streams, scope")
    func errors() async throws {
        var configuration = LogFixture.quick
        configuration.maxStreams = 2
        try await LogFixture.with(configuration: configuration) { fixture in
            let pod = try await fixture.cluster.runningPod(label: "app=nginx")
            func failure(
                _ options: [String: GaleJSON.JSONValue], as principal: Principal? = nil, cluster: String? = nil
            )
                async -> APIError?
            {
                do throws(APIError) {
                    _ = try await fixture.streams.subscribe(
                        cluster: cluster ?? String(fixture.cluster.id), options: options,
                        principal: principal ?? fixture.viewer, logger: Logger(label: "test"))
                    return nil
                } catch {
                    return error
                }
            }
            #expect(await failure(["namespace": "no-such-namespace", "name": "x"])?.code == .namespaceNotFound)
            #expect(await failure(["namespace": "demo", "name": "no-such-pod"])?.code == .resourceNotFound)
            #expect(await failure(["namespace": "demo", "workload": "deployment/no-such"])?.code == .resourceNotFound)
            let tooMany = await failure(["namespace": "demo", "labelSelector": "app=nginx"])
            #expect(tooMany?.code == .invalidArgument && tooMany?.message.contains("at most 2") == true)
            let container = await failure(["namespace": "demo", "name": .string(pod), "container": "nope"])
            #expect(container?.code == .invalidArgument && container?.message.contains("\"nope\"") == true)
            let previous = await failure(["namespace": "demo", "name": .string(pod), "previous": true])
            #expect(previous?.code == .invalidArgument && previous?.message.contains("previous") == true)
            #expect(
                await failure(["namespace": "demo", "name": .string(pod), "tailLines": "x"])?.message.contains(
                    "tailLines") == true)
            #expect(await failure(["name": .string(pod)])?.message.contains("namespace") == true)
            let outsider = Principal(
                subject: "x", role: .viewer, clusters: .only(["999"]), expiresAt: Date().addingTimeInterval(60))
            #expect(await failure(["namespace": "demo", "name": .string(pod)], as: outsider)?.code == .forbidden)
            #expect(
                await failure(["namespace": "demo", "name": .string(pod)], cluster: "4242")?.code == .clusterNotFound)
        }
    }

    @Test("a followed pod that has not started yet is waited for, quietly")
    func notStartedYet() async throws {
        try await LogFixture.with(podStartDelay: .seconds(2)) { fixture in
            try await fixture.createPod("late", labels: ["app": "late"], containers: ["main"], waitUntilRunning: false)
            do throws(APIError) {
                _ = try await fixture.subscribe(["namespace": "demo", "name": "late", "follow": false])
                Issue.record("a log that cannot be read yet is refused without follow")
            } catch {
                #expect(error.code == .invalidArgument && error.message.contains("waiting to start"))
            }
            let subscription = try await fixture.subscribe(["namespace": "demo", "name": "late"])
            let states = StateLog()
            let lines = try await fixture.read(subscription, onState: states.append) { $0.count >= 3 }
            #expect(lines.map(\.container) == ["main", "main", "main"])
            #expect(states.all.isEmpty, "waiting for a container to start is no connection problem: \(states.all)")
        }
    }

    @Test("a followed selector picks up pods that appear, and lets deleted pods go")
    func podDiscovery() async throws {
        try await LogFixture.with { fixture in
            try await fixture.createPod("solo-a", labels: ["app": "solo"], containers: ["main"])
            let subscription = try await fixture.subscribe([
                "namespace": "demo", "labelSelector": "app=solo", "tailLines": 1,
            ])
            let faults = fixture.cluster.simulator.faults
            let lines = try await within(.seconds(40)) {
                try await subscription.run(onState: { _, _ in }) { lines in
                    var read: [LogLine] = []
                    for try await line in lines {
                        read.append(line)
                        if read.count == 3 {
                            try await fixture.createPod("solo-b", labels: ["app": "solo"], containers: ["main"])
                        }
                        if line.pod == "solo-b" { break }
                    }
                    _ = try await fixture.cluster.confirmed(.DELETE, "/pods/solo-a", ["namespace": "demo"])
                    #expect(try await eventually { faults.openLogStreamCount == 1 })
                    return read
                }
            }
            #expect(lines.first?.pod == "solo-a" && lines.last?.pod == "solo-b")
        }
    }

    @Test("HTTP follow=true streams text lines over a real connection; errors stay JSON envelopes")
    func httpFollow() async throws {
        try await LogFixture.with { fixture in
            let pod = try await fixture.cluster.runningPod(label: "app=nginx")
            let viewer = try await fixture.cluster.gateway.token(.viewer)
            let base =
                "\(fixture.cluster.gateway.httpBase)/pods/\(pod)/logs?cluster_id=\(fixture.cluster.id)&namespace=demo"
            let faults = fixture.cluster.simulator.faults

            let (head, lines) = try await Self.streamLines(
                base + "&follow=true&tail_lines=2&timestamps=true", token: viewer, count: 6)
            #expect(head.status == .ok)
            #expect(head.headers["content-type"].first == "text/plain; charset=utf-8")
            #expect(head.headers["transfer-encoding"].first == "chunked")
            #expect(lines.count == 6)
            #expect(
                lines.allSatisfy { line in
                    line.split(separator: " ", maxSplits: 1).first.map { LogTimestamp(rfc3339: $0.utf8) != nil } == true
                })
            // The client went away: the gateway lets go of the upstream stream.
            #expect(try await eventually { faults.openLogStreamCount == 0 })

            let (_, plain) = try await Self.streamLines(base + "&follow=true&tail_lines=1", token: viewer, count: 2)
            #expect(
                plain.allSatisfy { line in
                    line.split(separator: " ", maxSplits: 1).first.map { LogTimestamp(rfc3339: $0.utf8) == nil } == true
                })

            let outsider = try await fixture.cluster.gateway.token(.viewer, clusters: .only(["999"]))
            for (url, token, status, code) in [
                (base + "&follow=true", nil, 401, 2001), (base + "&follow=true", outsider, 403, 1005),
                (base.replacingOccurrences(of: pod, with: "no-such-pod") + "&follow=true", viewer, 404, 1004),
                (base + "&follow=true&tail_lines=-1", viewer, 400, 1001),
                (base + "&follow=true&container=nope", viewer, 400, 1001),
            ] as [(String, String?, Int, Int)] {
                let (head, body) = try await Self.get(url, token: token)
                #expect(Int(head.status.code) == status, "\(url)")
                #expect(head.headers["content-type"].first == "application/json; charset=utf-8")
                #expect(try GaleJSON.JSONParser.parse(body.utf8)["code"]?.intValue == Int64(code), "\(url): \(body)")
            }
            let (once, envelope) = try await Self.get(base + "&tail_lines=2", token: viewer)
            #expect(once.status == .ok)
            #expect(try GaleJSON.JSONParser.parse(envelope.utf8)["data"]?["logs"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("a graceful shutdown of the gateway ends an HTTP follow stream cleanly")
    func httpFollowShutdown() async throws {
        try await LogFixture.with { fixture in
            let pod = try await fixture.cluster.runningPod(label: "app=nginx")
            var request = HTTPClientRequest(
                url:
                    "\(fixture.cluster.gateway.httpBase)/pods/\(pod)/logs?cluster_id=\(fixture.cluster.id)&namespace=demo&follow=true"
            )
            request.headers.add(name: "Authorization", value: "Bearer \(fixture.cluster.admin)")
            let received = try await within(.seconds(20)) { [request] in
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                var bytes = 0
                var iterator = response.body.makeAsyncIterator()
                bytes += try await iterator.next()?.readableBytes ?? 0
                await fixture.cluster.gateway.shutdown()
                while let chunk = try await iterator.next() { bytes += chunk.readableBytes }  // ends without an error
                return bytes
            }
            #expect(received > 0)
        }
    }

    /// Opens `url`, reads `count` lines, then closes the connection.
    static func streamLines(_ url: String, token: String, count: Int) async throws -> (
        head: (status: HTTPResponseStatus, headers: HTTPHeaders), lines: [String]
    ) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        return try await within(.seconds(20)) { [request] in
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            var lines: [String] = []
            var pending: [UInt8] = []
            for try await chunk in response.body {
                pending += chunk.readableBytesView
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    lines.append(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
                if lines.count >= count { break }
            }
            return ((response.status, response.headers), Array(lines.prefix(count)))
        }
    }

    /// One whole GET.
    static func get(_ url: String, token: String?) async throws -> (head: HTTPClientResponse, body: String) {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return (response, String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }
}
