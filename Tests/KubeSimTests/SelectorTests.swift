import KubeSim
import Testing

@Suite struct SelectorTests {
    let labels = ["app": "web", "tier": "frontend", "env": "prod"]

    @Test(arguments: [
        ("app=web", true), ("app==web", true), ("app!=web", false), ("app=db", false),
        ("env in (prod,staging)", true), ("env notin (prod)", false), ("env notin (dev)", true),
        ("tier", true), ("!tier", false), ("!legacy", true), ("legacy", false),
        ("app=web,tier=frontend", true), ("app=web, tier!=frontend", false), ("", true),
    ])
    func labelSelectorMatches(text: String, expected: Bool) throws {
        #expect(try LabelSelector(parsing: text).matches(labels) == expected)
    }

    @Test func labelSelectorRejectsGarbage() {
        #expect(throws: SelectorError.self) { try LabelSelector(parsing: "app in web") }
        #expect(throws: SelectorError.self) { try LabelSelector(parsing: "app=web,,") }
    }

    @Test func labelSelectorFromObject() {
        let selector = LabelSelector(object: [
            "matchLabels": ["app": "web"],
            "matchExpressions": [["key": "env", "operator": "In", "values": ["prod"]]],
        ])
        #expect(selector.matches(labels))
        #expect(!selector.matches(["app": "web", "env": "dev"]))
    }

    @Test func fieldSelector() throws {
        let pod: JSONValue = [
            "metadata": ["name": "web-1", "namespace": "demo"], "spec": ["nodeName": "node-a"], "status": ["phase": "Running"],
        ]
        #expect(try FieldSelector(parsing: "metadata.name=web-1").matches(object: pod))
        #expect(try FieldSelector(parsing: "status.phase!=Running").matches(object: pod) == false)
        #expect(try FieldSelector(parsing: "spec.nodeName=node-a,metadata.namespace=demo").matches(object: pod))
        #expect(try FieldSelector(parsing: "spec.unschedulable=false").matches(object: ["spec": .object([:])]))
        let event: JSONValue = ["involvedObject": ["kind": "Pod", "name": "web-1"]]
        #expect(try FieldSelector(parsing: "involvedObject.kind=Pod,involvedObject.name=web-1").matches(object: event))
        #expect(throws: SelectorError.self) { try FieldSelector(parsing: "metadata.name") }
    }
}
