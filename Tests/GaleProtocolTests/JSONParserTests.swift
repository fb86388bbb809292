import GaleJSON
import Testing

@Suite struct JSONParserTests {
    @Test(arguments: [
        (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
        (#""\u0041\u00e9\u4E2D""#, "Aé中"),
        (#""\ud83d\ude80""#, "🚀"),
        (#""\uD834\uDD1E""#, "𝄞"),
        (#""a\u0000b""#, "a\u{0}b"),
        ("\"raw é 中 🚀 \u{7F}\"", "raw é 中 🚀 \u{7F}"),
        (#""mixed 🚀 and \n""#, "mixed 🚀 and \n"),
        (#""""#, ""),
    ])
    func decodesStrings(_ text: String, _ expected: String) throws {
        #expect(try JSONParser.parse(text) == .string(expected))
    }

    @Test(arguments: [
        (#""\ud800""#, "unpaired surrogate in string"),
        (#""\udc00""#, "unpaired surrogate in string"),
        (#""\ud83d\u0041""#, "unpaired surrogate in string"),
        (#""\ud83d x""#, "unpaired surrogate in string"),
        (#""\u12g4""#, "invalid unicode escape"),
        (#""\u12""#, "unexpected end of input"),
        (#""\x41""#, "invalid escape"),
        (#""\'""#, "invalid escape"),
        ("\"a\u{1}b\"", "control character in string"),
        ("\"a\nb\"", "control character in string"),
        ("\"abc", "unterminated string"),
        (#""ab\"#, "unexpected end of input"),
    ])
    func rejectsBadStrings(_ text: String, _ reason: String) {
        #expect(parseError(text)?.reason == reason)
    }

    @Test(
        arguments: [
            [0x22, 0xFF, 0x22],  // invalid byte
            [0x22, 0xC0, 0x80, 0x22],  // overlong NUL
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8 encoded surrogate
            [0x22, 0xE4, 0xB8, 0x22],  // truncated sequence
            [0x22, 0x5C, 0x6E, 0xFF, 0x22],  // invalid byte after an escape (slow path)
        ] as [[UInt8]])
    func rejectsInvalidUTF8(_ bytes: [UInt8]) {
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
        #expect(error?.reason == "invalid UTF-8 in string")
        #expect(error?.offset == 1)
    }

    @Test func boundsNestingDepth() throws {
        let allowed = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(throws: Never.self) { try JSONParser.parse(allowed) }
        let tooDeep = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
        #expect(parseError(tooDeep)?.reason == "nesting deeper than 128")
        #expect(parseError(tooDeep)?.offset == 128)
        let objects = String(repeating: #"{"a":"#, count: 129) + "1" + String(repeating: "}", count: 129)
        #expect(parseError(objects)?.reason == "nesting deeper than 128")
        let shallow = JSONParser.Configuration(maxDepth: 2)
        #expect(try JSONParser.parse("[[1]]", configuration: shallow) == [[1]])
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"[{"a":[]}]"#, configuration: shallow) }
    }

    @Test(
        arguments: [
            ("0", JSONValue.int(0)),
            ("-0", .int(0)),
            ("42", .int(42)),
            ("-17", .int(-17)),
            ("9223372036854775807", .int(.max)),
            ("-9223372036854775808", .int(.min)),
            ("9007199254740993", .int(9_007_199_254_740_993)),
            ("9223372036854775808", .double(9.223_372_036_854_775_808e18)),
            ("1.5", .double(1.5)),
            ("-0.25", .double(-0.25)),
            ("1.0", .double(1)),
            ("1e3", .double(1000)),
            ("1E-2", .double(0.01)),
            ("-1.25e+2", .double(-125)),
            ("2.5E0", .double(2.5)),
        ] as [(String, JSONValue)])
    func decodesNumbers(_ text: String, _ expected: JSONValue) throws {
        #expect(try JSONParser.parse(text) == expected)
    }

    @Test(arguments: [
        ("-", "invalid number"),
        ("1.", "invalid number"),
        ("1e", "invalid number"),
        ("1e+", "invalid number"),
        ("-a", "invalid number"),
        (".5", "unexpected character '.'"),
        ("+1", "unexpected character '+'"),
        ("01", "unexpected data after the JSON value"),
        ("0x10", "unexpected data after the JSON value"),
        ("NaN", "unexpected character 'N'"),
        ("Infinity", "unexpected character 'I'"),
    ])
    func rejectsBadNumbers(_ text: String, _ reason: String) {
        #expect(parseError(text)?.reason == reason)
    }

    @Test(
        arguments: [
            ("true", JSONValue.bool(true)),
            ("false", .bool(false)),
            ("null", .null),
            (" \t\r\n[ 1 , \"a\" ]\n ", [1, "a"]),
            (#"{"a":{"b":[true,null,{}]},"c":[]}"#, ["a": ["b": [true, nil, [:]]], "c": []]),
            (#"{"k":1,"k":2}"#, ["k": 2]),
            (#""top-level string""#, "top-level string"),
        ] as [(String, JSONValue)])
    func decodesDocuments(_ text: String, _ expected: JSONValue) throws {
        #expect(try JSONParser.parse(text) == expected)
    }

    @Test(
        arguments: [
            ("", ("unexpected end of input", 0)),
            ("   ", ("unexpected end of input", 3)),
            ("tru", ("unexpected end of input", 0)),
            ("trux", ("invalid literal", 0)),
            ("True", ("unexpected character 'T'", 0)),
            ("{} {}", ("unexpected data after the JSON value", 3)),
            ("[1] x", ("unexpected data after the JSON value", 4)),
            ("[1,]", ("unexpected character ']'", 3)),
            ("[1 2]", ("expected ',' or ']'", 3)),
            ("[1", ("unexpected end of input", 2)),
            (#"{"a" 1}"#, ("expected ':'", 5)),
            (#"{"a":1,}"#, ("expected a member name", 7)),
            ("{1:2}", ("expected a member name", 1)),
            (#"{"a":1"#, ("unexpected end of input", 6)),
            (#"{"a":1 "b":2}"#, ("expected ',' or '}'", 7)),
        ] as [(String, (reason: String, offset: Int))])
    func reportsErrorAndOffset(_ text: String, _ expected: (reason: String, offset: Int)) {
        let error = parseError(text)
        #expect(error?.reason == expected.reason)
        #expect(error?.offset == expected.offset)
    }

    @Test func describesErrors() {
        #expect(parseError("[1,]")?.description == "invalid JSON at byte 3: unexpected character ']'")
    }

    @Test func parsesBytesAndStringsAlike() throws {
        let text = #"{"id":"é","n":[1,2.5]}"#
        #expect(try JSONParser.parse(Array(text.utf8)) == JSONParser.parse(text))
        #expect(try JSONParser.parse(text.utf8.dropFirst(0)) == ["id": "é", "n": [1, 2.5]])
    }

    private func parseError(_ text: String) -> JSONParseError? {
        do {
            _ = try JSONParser.parse(text)
            return nil
        } catch {
            return error
        }
    }
}
