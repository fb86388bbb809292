import Foundation
import GaleJSON
import KubeClient
import Testing

@testable import GaleGateway

/// The YAML editor's and templates' text pieces alone: the writer reads back as what it wrote,
/// field marks, the diff, placeholders.
@Suite("YAML text")
struct YAMLTextTests {
    @Test("the writer's YAML reads back as the same value, whatever its strings look like")
    func roundTrip() throws {
        let tricky: [JSONValue] = [
            "true", "False", "yes", "off", "null", "~", "", " padded ", "123", "0x1F", "1e3", ".inf", "-1",
            "- item", "key: value", "a #comment", "#start", "ends:", "{flow}", "[list]", "&anchor", "*alias",
            "!tag", "|", ">", "'quoted'", "\"double\"", "%directive", "@at", "`tick`", "<<", "tab\there",
            "line one\nline two", "trailing newline\n", "two trailing\n\n", "\n leading newline", "  indented\nnext",
            "unicode ✓ 中文", "control \u{1} char", "a: b\nc: d\n", "plain-text_value.v1",
        ]
        let value: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "x", "labels": [:]],
            "data": .object(
                Dictionary(uniqueKeysWithValues: tricky.enumerated().map { ("k\($0.offset)", $0.element) })),
            "keys": .object(
                Dictionary(uniqueKeysWithValues: tricky.enumerated().map { ($0.element.stringValue! + "#", 1) })),
            "list": [
                "a", 1, 2.5, true, .null, [], [:], ["nested": ["deep": [1, 2]]], [["x", "y"], ["z"]], "multi\nline",
            ],
            "empty": [],
        ]
        let text = YAMLWriter.text(value)
        #expect(try JSONValue(yaml: text) == value, "\(text)")
        #expect(text.hasPrefix("apiVersion: v1\nkind: ConfigMap\nmetadata:\n"))
    }

    @Test("field marks follow mappings, sequences and block scalars")
    func fieldMarks() {
        let text = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              annotations:
                note: |
                  spec: not a field
                  - nor: this
            spec:
              template:
                spec:
                  containers:
                  - name: a
                    image: nginx
                  - name: b
                    ports:
                      - containerPort: 80
                  volumes: [{name: v}]
            """
        let marks = YAMLFieldMarks(text)
        #expect(marks.marks["metadata.annotations.note"] == .init(line: 6, column: 5))
        #expect(marks.marks["spec"] == .init(line: 9, column: 1))
        #expect(marks.marks["spec.template.spec.containers[0].image"] == .init(line: 14, column: 9))
        #expect(marks.marks["spec.template.spec.containers[1].name"] == .init(line: 15, column: 9))
        #expect(marks.marks["spec.template.spec.containers[1].ports[0].containerPort"] == .init(line: 17, column: 13))
        #expect(marks.mark(of: "spec.template.spec.volumes[0].name")?.path == "spec.template.spec.volumes")
        #expect(marks.mark(of: "metadata.annotations[note]")?.mark == .init(line: 6, column: 5))
        #expect(marks.marks.keys.allSatisfy { !$0.contains("nor") })
    }

    @Test("the apiserver's invalid message splits into its fields, commas inside values kept")
    func invalidCauses() {
        let message =
            "Deployment.apps \"web\" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, "
            + "spec.template.metadata.labels: Invalid value: map[string]string{\"a\":\"b\", \"c\":\"d\"}: `selector` does not match]"
        let causes = YAMLEditor.invalidCauses(message)
        #expect(causes.map(\.field) == ["spec.replicas", "spec.template.metadata.labels"])
        #expect(causes.last?.message.contains("\"a\":\"b\", \"c\":\"d\"") == true)
        #expect(
            YAMLEditor.invalidCauses("ConfigMap \"x\" is invalid: metadata.name: Required value").map(\.field) == [
                "metadata.name"
            ])
    }

    @Test("the unified diff has hunks with context and right line numbers")
    func unifiedDiff() throws {
        let old = (1...20).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacingOccurrences(of: "line 5\n", with: "line five\n").replacingOccurrences(
            of: "line 18\n", with: "")
        let diff = try #require(LineDiff(from: old, to: new)).unified()
        let lines = diff.split(separator: "\n").map(String.init)
        #expect(lines[0...2] == ["--- live", "+++ edited", "@@ -2,7 +2,7 @@"])
        #expect(lines.contains("-line 5") && lines.contains("+line five") && lines.contains("-line 18"))
        #expect(lines.contains("@@ -15,6 +15,5 @@"))
        #expect(LineDiff(from: old, to: old)?.unified() == "")
    }

    @Test("placeholders: typed when alone, text inside text, values never expanded")
    func placeholders() {
        #expect(
            TemplateRenderer.pieces("a {{ x }} b {{y}}") == [
                .text("a "), .placeholder("x"), .text(" b "), .placeholder("y"),
            ])
        #expect(TemplateRenderer.pieces("{{ not valid }} {{") == [.text("{{ not valid }} {{")])
        let values: [String: JSONValue] = ["n": 3, "s": "{{ n }}"]
        #expect(TemplateRenderer.substitute("{{ n }}", values) == 3)
        #expect(TemplateRenderer.substitute("n={{ n }}, s={{ s }}", values) == "n=3, s={{ n }}")
        #expect(TemplateRenderer.split("a: 1\n---\n# only a comment\n--- \nb: 2\n...\n").count == 2)
    }
}
