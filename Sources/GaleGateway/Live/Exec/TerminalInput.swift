import GaleJSON

/// One message from the client of a terminal socket — an xterm.js `AttachAddon`, which sends
/// keystrokes as text and binary data as binary messages — as stdin or a resize.
enum TerminalInput: Sendable, Hashable {
    case stdin([UInt8])
    case resize(cols: Int, rows: Int)

    /// Largest terminal dimension accepted; larger values are clamped to it (smaller ones to 1).
    static let maxDimension = 10_000

    /// A binary message: stdin, byte for byte.
    init(binary bytes: [UInt8]) {
        self = .stdin(bytes)
    }

    /// A text message: a resize when it is a JSON object `{"type":"resize","cols":N,"rows":M}`,
    /// or one with exactly the members `cols` and `rows`, both integers; stdin (UTF-8) otherwise —
    /// typed text that merely looks like JSON included.
    init(text: String) {
        self = Self.resize(text) ?? .stdin(Array(text.utf8))
    }

    private static func resize(_ text: String) -> TerminalInput? {
        // Keystrokes are short and rarely braces: parse only what can be a resize object.
        guard text.utf8.count <= 256, text.utf8.first == UInt8(ascii: "{"), text.utf8.last == UInt8(ascii: "}"),
            let object = (try? JSONParser.parse(text))?.objectValue,
            let cols = object["cols"]?.intValue, let rows = object["rows"]?.intValue
        else { return nil }
        let keys = Set(object.keys)
        guard keys == ["cols", "rows"] || (keys == ["type", "cols", "rows"] && object["type"] == "resize") else {
            return nil
        }
        return .resize(cols: clamp(cols), rows: clamp(rows))
    }

    private static func clamp(_ value: Int64) -> Int {
        Int(min(max(value, 1), Int64(maxDimension)))
    }
}
