import Foundation
import GaleJSON
import GaleProtocol
import Testing

@testable import GaleGateway

/// The pure parts of live logs: timestamps, line parsing and splitting, the resume cursor, the
/// merge rules and option checking — without a cluster.
@Suite("Live logs: parsing, resume and merge rules")
struct LogMergeTests {
    @Test("RFC 3339 timestamps keep nanoseconds, offsets and order exactly")
    func timestamps() throws {
        let nano = try #require(LogTimestamp(rfc3339: "2024-01-02T03:04:05.123456789Z".utf8))
        #expect(nano.seconds == 1_704_164_645 && nano.nanoseconds == 123_456_789)
        #expect(nano.description == "2024-01-02T03:04:05.123456789Z")
        let next = try #require(LogTimestamp(rfc3339: "2024-01-02T03:04:05.12345679Z".utf8))
        #expect(nano < next)  // one nanosecond apart; as Dates they could compare equal
        let offset = try #require(LogTimestamp(rfc3339: "2024-01-02T05:04:05.5+02:00".utf8))
        #expect(offset.seconds == nano.seconds && offset.nanoseconds == 500_000_000)
        #expect(LogTimestamp(rfc3339: "2024-01-02T03:04:05Z".utf8)?.wholeSecond == nano.wholeSecond)
        #expect(LogTimestamp(rfc3339: "1969-12-31T23:59:59Z".utf8)?.description == "1969-12-31T23:59:59.000000000Z")
        for bad in [
            "", "2024-01-02", "2024-01-02T03:04:05", "2024-13-02T03:04:05Z", "2024-01-02T03:04:05.Z",
            "2024-01-02T03:04:05Zjunk", "2024-01-02 03:04:05Z", "2024-01-02T03:04:05+0200",
        ] {
            #expect(LogTimestamp(rfc3339: bad.utf8) == nil, "\(bad)")
        }
    }

    @Test("timestamped lines split into time text and line")
    func lines() throws {
        let line = try #require(
            LogLine(timestamped: Array("2024-01-02T03:04:05.1Z GET / 200 ok".utf8), pod: "web-0", container: "nginx"))
        #expect(line.timeText == "2024-01-02T03:04:05.1Z" && line.text == "GET / 200 ok")
        #expect(line.rendered(timestamps: true) == "2024-01-02T03:04:05.1Z GET / 200 ok")
        #expect(line.rendered(timestamps: false) == "GET / 200 ok")
        #expect(line.eventFields["time"] == "2024-01-02T03:04:05.1Z" && line.eventFields["pod"] == "web-0")
        #expect(LogLine(timestamped: Array("2024-01-02T03:04:05Z".utf8), pod: "p", container: "c")?.text == "")
        #expect(LogLine(timestamped: Array("2024-01-02T03:04:05Z ".utf8), pod: "p", container: "c")?.text == "")
        #expect(LogLine(timestamped: Array("no timestamp here".utf8), pod: "p", container: "c") == nil)
    }

    @Test("the splitter keeps complete lines apart from a trailing fragment and bounds long lines")
    func splitter() {
        var splitter = LogLineSplitter(maxLineBytes: 64)
        #expect(splitter.split(Array("one\ntw".utf8)).map { String(decoding: $0, as: UTF8.self) } == ["one"])
        #expect(splitter.split(Array("o\n\nthr".utf8)).map { String(decoding: $0, as: UTF8.self) } == ["two", ""])
        #expect(splitter.takeFragment().map { String(decoding: $0, as: UTF8.self) } == "thr")
        #expect(splitter.takeFragment() == nil)
        let long = String(repeating: "x", count: 100)
        let pieces = splitter.split(Array((long + "\n" + long.prefix(10) + "\nend").utf8))
        #expect(pieces.map(\.count) == [64, 10])
        #expect(splitter.takeFragment() == Array("end".utf8))
    }

    @Test("a resumed log drops exactly what was delivered, also at equal timestamps")
    func resumeCursor() throws {
        func time(_ text: String) throws -> LogTimestamp { try #require(LogTimestamp(rfc3339: text.utf8)) }
        let a = try time("2024-01-01T00:00:07.1Z")
        let b = try time("2024-01-01T00:00:07.2Z")
        let c = try time("2024-01-01T00:00:08Z")
        var cursor = LogResumeCursor()
        #expect(cursor.resumeTime == nil)
        #expect([a, b, b].map { cursor.admit($0) } == [true, true, true])
        #expect(cursor.last == b && cursor.deliveredAtLast == 2)
        #expect(cursor.resumeTime == a.wholeSecond)
        // The apiserver sends the whole second again: a, b, b, then a third b and c are new.
        cursor.beginResumption()
        #expect([a, b, b, b, c].map { cursor.admit($0) } == [false, false, false, true, true])
        #expect(cursor.last == c && cursor.deliveredAtLast == 1)
        // Resuming twice before anything arrives changes nothing.
        cursor.beginResumption()
        cursor.beginResumption()
        #expect([a, b, c, c].map { cursor.admit($0) } == [false, false, false, true])
    }

    @Test("backlogs merge in time order once every source connected; live lines wait one window")
    func mergeOrder() throws {
        let start = ContinuousClock.now
        var machine = LogMergeStateMachine(
            configuration: .init(
                window: .milliseconds(100), maxLines: 3, maxBytes: 1 << 20, primingTimeout: .seconds(5)),
            sources: 2, sealed: true, now: start)
        let lines = try (0..<6).map { try Self.line("p\($0 % 2)", second: $0) }
        #expect(machine.push(lines[2], from: 0, now: start) == .accepted)
        #expect(machine.push(lines[4], from: 0, now: start) == .accepted)
        // Source 1 has not connected: nothing goes out before the priming timeout.
        #expect(Self.waits(machine.next(now: start + .seconds(1)), until: start + .seconds(5)))
        #expect(machine.push(lines[1], from: 1, now: start + .seconds(1)) == .accepted)
        #expect(Self.emitted(machine.next(now: start + .seconds(1))) == lines[1])
        #expect(Self.emitted(machine.next(now: start + .seconds(1))) == nil)  // source 1 may still write before 2
        #expect(Self.emitted(machine.next(now: start + .milliseconds(1100))) == lines[2])
        #expect(machine.push(lines[3], from: 1, now: start + .seconds(2)) == .accepted)
        #expect(Self.emitted(machine.next(now: start + .seconds(2))) == lines[3])
        // A full queue tells its producer to wait.
        #expect(machine.push(lines[5], from: 0, now: start + .seconds(2)) == .accepted)
        #expect(machine.push(try Self.line("p0", second: 7), from: 0, now: start + .seconds(2)) == .full)
        #expect(!machine.hasRoom(0))
        machine.finish(1, failure: nil)
        #expect(Self.emitted(machine.next(now: start + .seconds(2))) == lines[4])
        #expect(machine.hasRoom(0))
        machine.finish(0, failure: .invalidArgument("gone"))
        #expect(Self.emitted(machine.next(now: start + .seconds(2))) == lines[5])
        #expect(machine.pendingLines == 1)
        _ = machine.next(now: start + .seconds(2))
        guard case .failed(let error) = machine.next(now: start + .seconds(2)) else {
            Issue.record("the failure of a source ends the merged log")
            return
        }
        #expect(error.message == "gone")
    }

    @Test("a pod that joins a followed workload: live lines of the others wait for its backlog, which is merged in time order")
    func joiningSourceIsMergedInOrder() throws {
        let start = ContinuousClock.now
        let configuration = LogMergeStateMachine.Configuration()
        var machine = LogMergeStateMachine(configuration: configuration, sources: 1, sealed: false, now: start)
        #expect(machine.push(try Self.line("old", second: 1), from: 0, now: start) == .accepted)
        #expect(Self.emitted(machine.next(now: start))?.timeText == "2024-01-01T00:00:01Z")
        // A new pod is found; the old one logs on, before the new one's backlog (from second 2) arrives.
        let joined = start + .seconds(1)
        let added = machine.addSource(now: joined)
        #expect(machine.push(try Self.line("old", second: 4), from: 0, now: joined) == .accepted)
        // Past the window, the old pod's line still waits for the newcomer...
        #expect(Self.waits(machine.next(now: joined + .seconds(1)), until: joined + configuration.primingTimeout))
        // ...whose backlog comes in, earlier lines first.
        #expect(machine.push(try Self.line("new", second: 2), from: added, now: joined + .seconds(1)) == .accepted)
        #expect(machine.push(try Self.line("new", second: 3), from: added, now: joined + .seconds(1)) == .accepted)
        var order: [String] = []
        var now = joined + .seconds(1)
        while order.count < 3 {
            switch machine.next(now: now) {
            case .emit(let line, _): order.append("\(line.pod) \(line.timeText.suffix(3))")
            case .wait(let until): now = until ?? now + .milliseconds(10)
            default: Issue.record("the merge ended early")
            }
        }
        #expect(order == ["new 02Z", "new 03Z", "old 04Z"])

        // A pod that never connects is given up on after the priming timeout.
        let silent = machine.addSource(now: now)
        #expect(machine.push(try Self.line("old", second: 5), from: 0, now: now) == .accepted)
        #expect(Self.waits(machine.next(now: now), until: now + configuration.primingTimeout))
        let givenUp = now + configuration.primingTimeout
        #expect(Self.waits(machine.next(now: givenUp), until: givenUp + configuration.window))
        #expect(Self.emitted(machine.next(now: givenUp + configuration.window))?.pod == "old")
        machine.finish(silent, failure: nil)
    }

    @Test("an unsealed merge outlives its sources; close drops everything")
    func mergeLifetime() throws {
        let start = ContinuousClock.now
        var machine = LogMergeStateMachine(configuration: .init(), sources: 1, sealed: false, now: start)
        machine.finish(0, failure: nil)
        #expect(Self.waits(machine.next(now: start), until: nil))
        let added = machine.addSource(now: start)
        #expect(machine.push(try Self.line("late", second: 1), from: added, now: start) == .accepted)
        #expect(Self.emitted(machine.next(now: start))?.pod == "late")
        machine.seal()
        #expect(machine.push(try Self.line("late", second: 2), from: added, now: start) == .accepted)
        machine.close()
        #expect(machine.pendingLines == 0)
        #expect(machine.push(try Self.line("late", second: 3), from: added, now: start) == .closed)
        guard case .finished = machine.next(now: start) else {
            Issue.record("a closed merge is finished")
            return
        }
    }

    @Test("subscription options are checked, each error naming its option")
    func options() throws {
        let good = try LogRequest(options: [
            "namespace": "demo", "labelSelector": "app=web", "fieldSelector": "status.phase=Running", "tailLines": 10,
            "sinceSeconds": "60", "timestamps": true, "allContainers": "true", "resource": "pods",
        ])
        #expect(good.pods == .selected(labelSelector: "app=web") && good.containers == .all && good.follow)
        #expect(good.tailLines == 10 && good.sinceSeconds == 60 && good.timestamps)
        let workload = try LogRequest(options: ["namespace": "demo", "workload": "StatefulSet/redis", "follow": false])
        #expect(workload.pods == .workload(.init(resource: "statefulsets", name: "redis")) && !workload.follow)
        let since = try LogRequest(options: ["namespace": "demo", "name": "p", "sinceTime": "2024-01-02T03:04:05Z"])
        #expect(since.sinceTime == Date(timeIntervalSince1970: 1_704_164_645))

        let cases: [([String: JSONValue], String)] = [
            (["name": "p"], "\"namespace\""),
            (["namespace": "demo"], "\"name\", \"labelSelector\" or \"workload\""),
            (["namespace": "demo", "name": "p", "labelSelector": "a=b"], "\"name\" and \"labelSelector\""),
            (["namespace": "demo", "workload": "cronjob/x"], "\"workload\""),
            (["namespace": "demo", "workload": "deployment/"], "\"workload\""),
            (["namespace": "demo", "name": "p", "tailLines": -1], "\"tailLines\""),
            (["namespace": "demo", "name": "p", "tailLines": "ten"], "\"tailLines\""),
            (["namespace": "demo", "name": "p", "sinceSeconds": 0], "\"sinceSeconds\""),
            (["namespace": "demo", "name": "p", "sinceTime": "yesterday"], "\"sinceTime\""),
            (
                ["namespace": "demo", "name": "p", "sinceTime": "2024-01-02T03:04:05Z", "sinceSeconds": 5],
                "\"sinceSeconds\""
            ),
            (["namespace": "demo", "name": "p", "container": "a", "allContainers": true], "\"allContainers\""),
            (["namespace": "demo", "name": "p", "follow": "maybe"], "\"follow\""),
            (["namespace": "demo", "name": "p", "timestamps": 1], "\"timestamps\""),
            (["namespace": "demo", "name": "p", "limitBytes": 0], "\"limitBytes\""),
            (["namespace": "demo", "name": "p", "fieldSelector": "a=b"], "\"fieldSelector\""),
            (["namespace": "demo", "name": 5], "\"name\""),
            (["namespace": "demo", "name": "p", "resource": "deployments"], "\"resource\""),
            (["namespace": "demo", "name": "p", "tail": 5], "\"tail\""),
        ]
        for (options, named) in cases {
            do throws(APIError) {
                _ = try LogRequest(options: options)
                Issue.record("accepted \(options)")
            } catch {
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains(named), "\(error.message) should name \(named)")
            }
        }
    }

    @Test("workload selectors become label selector text; containers are chosen like kubectl")
    func selectorsAndContainers() throws {
        let selector: JSONValue = [
            "matchLabels": ["app": "web", "tier": "front"],
            "matchExpressions": [
                ["key": "env", "operator": "In", "values": ["prod", "canary"]],
                ["key": "legacy", "operator": "DoesNotExist"],
            ],
        ]
        #expect(try LogTargetResolver.selector(selector, of: "x") == "app=web,tier=front,env in (prod,canary),!legacy")
        #expect(throws: APIError.self) { try LogTargetResolver.selector([:], of: "deployments/x") }

        let pod: JSONValue = [
            "metadata": [
                "name": "web-0", "namespace": "demo", "uid": "u1",
                "annotations": ["kubectl.kubernetes.io/default-container": "app"],
            ],
            "spec": ["initContainers": [["name": "init"]], "containers": [["name": "sidecar"], ["name": "app"]]],
            "status": [
                "initContainerStatuses": [["name": "init", "state": ["terminated": ["exitCode": 0]]]],
                "containerStatuses": [
                    ["name": "sidecar", "state": ["running": [:]]],
                    ["name": "app", "state": ["waiting": ["reason": "CrashLoopBackOff"]]],
                ],
            ],
        ]
        var request = LogRequest(namespace: "demo", pods: .named("web-0"))
        #expect(try LogTarget.targets(in: pod, request: request, strict: true).map(\.container) == ["app"])
        request.containers = .all
        #expect(
            try LogTarget.targets(in: pod, request: request, strict: true).map(\.container) == [
                "init", "sidecar", "app",
            ])
        request.follow = false  // a container that has not started has no log to read once
        #expect(try LogTarget.targets(in: pod, request: request, strict: true).map(\.container) == ["init", "sidecar"])
        request.containers = .named("app")
        #expect(throws: APIError.self) { try LogTarget.targets(in: pod, request: request, strict: true) }
        request.containers = .named("nope")
        #expect(throws: APIError.self) { try LogTarget.targets(in: pod, request: request, strict: true) }
        #expect(try LogTarget.targets(in: pod, request: request, strict: false).isEmpty)
    }

    static func line(_ pod: String, second: Int) throws -> LogLine {
        let text = "2024-01-01T00:00:\(second < 10 ? "0" : "")\(second)Z"
        let timestamp = try #require(LogTimestamp(rfc3339: text.utf8))
        return LogLine(pod: pod, container: "c", timestamp: timestamp, timeText: text, text: "line \(second)")
    }

    static func emitted(_ action: LogMergeStateMachine.ReadAction) -> LogLine? {
        if case .emit(let line, _) = action { return line }
        return nil
    }

    static func waits(_ action: LogMergeStateMachine.ReadAction, until expected: ContinuousClock.Instant?) -> Bool {
        if case .wait(let deadline) = action { return deadline == expected }
        return false
    }
}
