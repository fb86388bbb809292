import Foundation
import GaleJSON
import Testing

@testable import GaleGateway

/// The alert state machine alone: the caller passes the matches and the time.
@Suite struct AlertStateMachineTests {
    let start = Date(timeIntervalSince1970: 1_700_000_000)

    func rule(for seconds: Int64 = 60) -> AlertRule {
        AlertRule(id: 1, name: "r", cluster: 3, condition: .podRestarts, threshold: 3, duration: .seconds(seconds))
    }

    @Test func pendingFiresOnlyAfterTheDuration() {
        var machine = AlertStateMachine()
        let matches = ["Pod/a/p": "restarted 3 times"]
        let first = machine.evaluate(rule(), matches: matches, now: start)
        #expect(first.map(\.alert.state) == [.pending])
        #expect(first[0].from == nil)
        #expect(machine.evaluate(rule(), matches: matches, now: start + 59).isEmpty)
        let fired = machine.evaluate(rule(), matches: matches, now: start + 60)
        #expect(fired.map(\.alert.state) == [.firing])
        #expect(fired[0].from == .pending)
        #expect(fired[0].alert.since == start)
        #expect(machine.evaluate(rule(), matches: matches, now: start + 120).isEmpty)
        let resolved = machine.evaluate(rule(), matches: [:], now: start + 130)
        #expect(resolved.map(\.alert.state) == [.resolved])
        #expect(resolved[0].alert.resolvedAt == start + 130)
        #expect(machine.current.isEmpty)
    }

    @Test func zeroDurationFiresAtOnceAndPendingThatClearsIsDropped() {
        var machine = AlertStateMachine()
        let now = machine.evaluate(rule(for: 0), matches: ["Node/n": "Ready is False"], now: start)
        #expect(now.map(\.alert.state) == [.pending, .firing])
        var slow = AlertStateMachine()
        _ = slow.evaluate(rule(), matches: ["Pod/a/p": "x"], now: start)
        #expect(slow.evaluate(rule(), matches: [:], now: start + 10).isEmpty)
        #expect(slow.current.isEmpty)
    }

    @Test func deletedRulesResolveTheirFiringAlerts() {
        var machine = AlertStateMachine()
        _ = machine.evaluate(rule(for: 0), matches: ["Pod/a/p": "x", "Pod/a/q": "y"], now: start)
        #expect(machine.current.count == 2)
        #expect(machine.retain(rules: [1], now: start + 1).isEmpty)
        let ended = machine.retain(rules: [], now: start + 2)
        #expect(Set(ended.map(\.alert.target)) == ["Pod/a/p", "Pod/a/q"])
        #expect(ended.allSatisfy { $0.alert.state == .resolved && $0.from == .firing })
        #expect(machine.current.isEmpty)
    }

    @Test func conditionsMatchWhatTheyDescribe() {
        let pod: JSONValue = [
            "metadata": ["name": "p", "namespace": "a"],
            "status": [
                "containerStatuses": [
                    ["name": "app", "restartCount": 4, "state": ["waiting": ["reason": "CrashLoopBackOff"]]]
                ]
            ],
        ]
        #expect(AlertConditions.matches(rule(), objects: [pod], sample: nil) == ["Pod/a/p": "restarted 4 times"])
        var loop = rule()
        loop.condition = .crashLoop
        #expect(AlertConditions.matches(loop, objects: [pod], sample: nil) == ["Pod/a/p": "CrashLoopBackOff: app"])
        let deployment: JSONValue = [
            "metadata": ["name": "web", "namespace": "a"], "spec": ["replicas": 3], "status": ["availableReplicas": 1],
        ]
        var unavailable = rule()
        unavailable.condition = .deploymentUnavailable
        #expect(
            AlertConditions.matches(unavailable, objects: [deployment], sample: nil)
                == ["Deployment/a/web": "1 of 3 replicas available"])
        let event: JSONValue = [
            "reason": "BackOff", "type": "Warning", "count": 5, "involvedObject": ["kind": "Pod", "namespace": "a", "name": "p"],
        ]
        var events = rule()
        events.condition = .event
        events.reason = "BackOff"
        events.threshold = 5
        #expect(AlertConditions.matches(events, objects: [event], sample: nil) == ["Pod/a/p": "BackOff seen 5 times"])
        events.eventType = "Normal"
        #expect(AlertConditions.matches(events, objects: [event], sample: nil).isEmpty)
    }
}
