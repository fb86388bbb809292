import KubeSim
import Testing

@Suite struct PatchTests {
    let deployment: JSONValue = [
        "metadata": ["name": "web", "labels": ["app": "web", "old": "x"]],
        "spec": [
            "replicas": 1,
            "template": ["spec": ["containers": [
                ["name": "web", "image": "nginx:1", "env": [["name": "A", "value": "1"]]],
                ["name": "sidecar", "image": "envoy:1"],
            ]]],
        ],
    ]

    @Test func mergePatchReplacesListsAndDeletesNulls() throws {
        let patched = deployment.mergePatched(with: [
            "metadata": ["labels": ["old": .null, "new": "y"]],
            "spec": ["replicas": 3, "template": ["spec": ["containers": [["name": "only", "image": "busybox"]]]]],
        ])
        #expect(patched[path: ["metadata", "labels"]] == ["app": "web", "new": "y"])
        #expect(patched[path: ["spec", "replicas"]] == 3)
        #expect(patched[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.count == 1)
    }

    @Test func strategicMergeMergesContainersByName() throws {
        let patched = deployment.strategicMerged(with: [
            "spec": ["template": ["spec": [
                "$setElementOrder/containers": [["name": "web"], ["name": "sidecar"]],
                "containers": [["name": "web", "image": "nginx:2", "env": [["name": "B", "value": "2"]]]],
            ]]]
        ])
        let containers = try #require(patched[path: ["spec", "template", "spec", "containers"]]?.arrayValue)
        #expect(containers.count == 2)
        #expect(containers[0]["image"] == "nginx:2")
        #expect(containers[0]["env"]?.arrayValue?.count == 2)
        #expect(containers[1]["image"] == "envoy:1")
        #expect(patched[path: ["spec", "template", "spec", "$setElementOrder/containers"]] == nil)
    }

    @Test func strategicMergeDeleteDirective() {
        let patched = deployment.strategicMerged(with: [
            "spec": ["template": ["spec": ["containers": [["name": "sidecar", "$patch": "delete"]]]]]
        ])
        #expect(patched[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.count == 1)
    }

    @Test func jsonPatchOperations() throws {
        let patched = try deployment.jsonPatched(with: [
            ["op": "replace", "path": "/spec/replicas", "value": 5],
            ["op": "add", "path": "/metadata/labels/tier", "value": "frontend"],
            ["op": "remove", "path": "/metadata/labels/old"],
            ["op": "add", "path": "/spec/template/spec/containers/-", "value": ["name": "third"]],
            ["op": "copy", "from": "/metadata/name", "path": "/metadata/annotations"],
            ["op": "test", "path": "/spec/replicas", "value": 5],
        ])
        #expect(patched[path: ["spec", "replicas"]] == 5)
        #expect(patched[path: ["metadata", "labels"]] == ["app": "web", "tier": "frontend"])
        #expect(patched[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.count == 3)
        #expect(patched[path: ["metadata", "annotations"]] == "web")
        #expect(throws: KubeStatusError.self) {
            try deployment.jsonPatched(with: [["op": "replace", "path": "/spec/missing", "value": 1]])
        }
        #expect(throws: KubeStatusError.self) {
            try deployment.jsonPatched(with: [["op": "test", "path": "/spec/replicas", "value": 9]])
        }
    }

    @Test func jsonRoundTripKeepsIntegers() throws {
        let text = #"{"a":1,"b":1.5,"c":[true,null,"x\n\"y\""],"d":{"e":-3}}"#
        let value = try JSONValue(parsing: text)
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .double(1.5))
        #expect(try JSONValue(parsing: value.jsonString) == value)
    }
}
