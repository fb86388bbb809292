import Foundation

/// Files below one folder, looked up by a URL path that may only name plain files under it:
/// every component is letters, digits, `-`, `_` and `.`, none starts with a dot, so neither
/// `..` nor hidden files nor anything outside the folder can be reached.
struct StaticFiles: Sendable {
    let root: URL

    /// A file found under the root: its bytes and the media type of its extension.
    struct File: Sendable {
        let bytes: Data
        let contentType: String
    }

    /// The file at `path` (relative, `/`-separated), or `nil` when the path is not allowed, is
    /// not a regular file, or is of a type the console does not serve.
    func file(at path: Substring) -> File? {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.isEmpty, components.count <= 8, components.allSatisfy(Self.isPlainName),
            let contentType = Self.contentType(of: components[components.count - 1])
        else { return nil }
        let url = components.reduce(root) { $0.appendingPathComponent(String($1)) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
            let bytes = FileManager.default.contents(atPath: url.path)
        else { return nil }
        return File(bytes: bytes, contentType: contentType)
    }

    static func isPlainName(_ component: Substring) -> Bool {
        guard let first = component.first, first != ".", component.count <= 128 else { return false }
        return component.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                true
            default: false
            }
        }
    }

    /// Media types of what the console is made of; other files are not served.
    static func contentType(of name: Substring) -> String? {
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "html": return "text/html; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "ts": return "text/plain; charset=utf-8"
        case "json": return "application/json; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "ico": return "image/x-icon"
        case "woff2": return "font/woff2"
        default: return nil
        }
    }
}
