import GaleJSON
import Testing

@Suite struct JSONPathTests {
    let pod: JSONValue = [
        "metadata": ["name": "web-0", "labels": ["app": "web"]],
        "spec": ["replicas": 3, "containers": [["name": "app"]]],
    ]

    @Test func readsAlongObjectMembers() {
        #expect(pod[path: ["metadata", "labels", "app"]] == "web")
        #expect(pod[path: ["spec", "replicas"]] == .int(3))
        #expect(pod[path: []] == pod)
    }

    @Test func missingMembersAndNonObjectsReadAsNil() {
        #expect(pod[path: ["metadata", "annotations", "note"]] == nil)
        #expect(pod[path: ["spec", "replicas", "value"]] == nil)
        #expect(pod[path: ["spec", "containers", "0"]] == nil)
    }

    @Test func settingCreatesTheObjectsOnTheWay() {
        var value = pod
        value[path: ["status", "conditions", "ready"]] = true
        #expect(value["status"] == ["conditions": ["ready": true]])
        value[path: ["metadata", "labels", "tier"]] = "front"
        #expect(value[path: ["metadata", "labels"]] == ["app": "web", "tier": "front"])
        #expect(value[path: ["metadata", "name"]] == "web-0")
    }

    @Test func settingThroughANonObjectReplacesIt() {
        var value = pod
        value[path: ["spec", "replicas", "min"]] = 1
        #expect(value[path: ["spec", "replicas"]] == ["min": 1])
    }

    @Test func settingNilRemovesTheLastMember() {
        var value = pod
        value[path: ["metadata", "labels", "app"]] = nil
        #expect(value[path: ["metadata", "labels"]] == [:])
        value[path: ["spec"]] = nil
        #expect(value.objectValue?.keys.sorted() == ["metadata"])
    }

    @Test func anEmptyPathReplacesTheWholeValue() {
        var value = pod
        value[path: []] = "replaced"
        #expect(value == "replaced")
        value[path: []] = nil
        #expect(value == .null)
    }
}
