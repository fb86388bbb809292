import GaleJSON
import Testing

@Suite struct JSONSerializerTests {
    @Test(arguments: [
        ("plain", #""plain""#),
        ("quote \" backslash \\ slash /", #""quote \" backslash \\ slash /""#),
        ("\n\r\t", #""\n\r\t""#),
        ("\u{8}\u{C}\u{0}\u{1F}", #""\u0008\u000c\u0000\u001f""#),
        ("\u{7F} é 中 🚀 \u{2028}", "\"\u{7F} é 中 🚀 \u{2028}\""),
    ])
    func escapesStrings(_ value: String, _ expected: String) throws {
        #expect(JSONValue.string(value).jsonString == expected)
        #expect(try JSONParser.parse(expected) == .string(value))
    }

    @Test func sortsObjectKeysAtEveryLevel() {
        let value: JSONValue = ["b": 1, "a": ["z": true, "y": nil], "A": [], "_": [:]]
        #expect(value.jsonString == #"{"A":[],"_":{},"a":{"y":null,"z":true},"b":1}"#)
    }

    @Test func equalValuesSerializeToEqualBytes() {
        var forward: [String: JSONValue] = [:]
        var backward: [String: JSONValue] = [:]
        let keys = (0..<50).map { "key\($0)" }
        for key in keys { forward[key] = .string(key) }
        for key in keys.reversed() { backward[key] = .string(key) }
        #expect(JSONValue.object(forward).jsonString == JSONValue.object(backward).jsonString)
    }

    @Test(
        arguments: [
            (JSONValue.int(.max), "9223372036854775807"),
            (.int(.min), "-9223372036854775808"),
            (.double(1.5), "1.5"),
            (.double(0.1), "0.1"),
            (.double(-2), "-2"),
            (.double(-0.0), "0"),
            (.double(1e300), "1e+300"),
            (.double(.leastNonzeroMagnitude), "5e-324"),
            (.double(.nan), "null"),
            (.double(.infinity), "null"),
            (.null, "null"),
            (.bool(false), "false"),
            ([], "[]"),
            ([:], "{}"),
            ([1, "a", nil, [true]], #"[1,"a",null,[true]]"#),
        ] as [(JSONValue, String)])
    func writesScalarsAndContainers(_ value: JSONValue, _ expected: String) {
        #expect(value.jsonString == expected)
        #expect(value.description == expected)
    }

    @Test(arguments: [
        #"{"a":[1,-2,3.25,"x",true,false,null],"b":{"c":{}},"d":"\u0001\"é🚀"}"#,
        #"[9223372036854775807,-9223372036854775808,1e-7,12345.678]"#,
        #""only a string""#,
    ])
    func roundTrips(_ text: String) throws {
        let value = try JSONParser.parse(text)
        let written = value.jsonString
        #expect(try JSONParser.parse(written) == value)
        #expect(try JSONParser.parse(written).jsonString == written)
    }

    @Test func appendsToAnExistingBuffer() {
        var output = Array("prefix:".utf8)
        let value: JSONValue = ["k": "v"]
        value.write(to: &output)
        #expect(String(decoding: output, as: UTF8.self) == #"prefix:{"k":"v"}"#)
    }
}

@Suite struct JSONValueTests {
    @Test func readsMembersAndElements() {
        let value: JSONValue = ["list": [1, "two"], "flag": true]
        #expect(value["list"]?[1] == "two")
        #expect(value["list"]?[2] == nil)
        #expect(value["missing"] == nil)
        #expect(value["flag"]?["x"] == nil)
        #expect(value["flag"]?.boolValue == true)
    }

    @Test(
        arguments: [
            (JSONValue.int(3), Int64?(3)),
            (.double(3), 3),
            (.double(-3), -3),
            (.double(3.5), nil),
            (.double(9_007_199_254_740_992), nil),
            (.string("3"), nil),
        ] as [(JSONValue, Int64?)])
    func intValueAcceptsOnlyExactIntegers(_ value: JSONValue, _ expected: Int64?) {
        #expect(value.intValue == expected)
    }

    @Test func namesTypes() {
        let values: [JSONValue] = [nil, true, 1, 1.5, "s", [], [:]]
        #expect(values.map(\.typeName) == ["null", "boolean", "number", "number", "string", "array", "object"])
    }
}
