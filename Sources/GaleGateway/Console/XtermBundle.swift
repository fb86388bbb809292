import Foundation
import Synchronization

/// xterm.js for the browser, made from Debian's `node-xterm` package, which ships xterm.js 3.8
/// as CommonJS modules (`lib/**/*.js`) that a browser cannot load as they are.
///
/// The bundle wraps each module in a function and adds a small `require` that resolves the
/// modules' relative paths among them, then sets `window.Terminal` with the `attach` and `fit`
/// addons applied. Nothing of xterm.js is kept in this repository: the bundle is made from the
/// installed package on first use and kept in memory.
final class XtermBundle: Sendable {
    let directory: URL
    private let cached = Mutex<Data?>(nil)

    /// Addons the console uses; the others (and the package's own tests) are left out.
    static let addons = ["attach", "fit"]

    init(directory: URL) {
        self.directory = directory
    }

    /// The bundle, or `nil` when the package is not installed.
    func script() -> Data? {
        if let data = cached.withLock({ $0 }) { return data }
        guard let data = Self.make(from: directory) else { return nil }
        cached.withLock { $0 = data }
        return data
    }

    /// `lib/xterm.css` of the package.
    func stylesheet() -> Data? {
        FileManager.default.contents(atPath: directory.appendingPathComponent("lib/xterm.css").path)
    }

    /// The modules' paths relative to the package folder (`lib/…`), sorted.
    static func modulePaths(in directory: URL) -> [String] {
        var paths: [String] = []
        collect(directory, relative: "lib", into: &paths)
        return paths.sorted()
    }

    /// Walks `relative` below `root` with one `readdir` and `stat` per entry (rather than
    /// `FileManager.enumerator`, which relies on directory link counts that some file systems,
    /// overlays among them, do not keep, and then skips whole folders).
    private static func collect(_ root: URL, relative: String, into paths: inout [String]) {
        let folder = root.appendingPathComponent(relative, isDirectory: true)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where !name.hasPrefix(".") {
            let path = relative + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory)
            else { continue }
            if isDirectory.boolValue {
                if relative == "lib/addons", !addons.contains(name) { continue }
                collect(root, relative: path, into: &paths)
            } else if name.hasSuffix(".js"), !name.hasSuffix(".test.js") {
                paths.append(path)
            }
        }
    }

    static func make(from directory: URL) -> Data? {
        let paths = modulePaths(in: directory)
        guard paths.contains("lib/xterm.js") else { return nil }
        var script = """
            /* xterm.js from Debian's node-xterm package (MIT license, https://xtermjs.org), its CommonJS
               modules wrapped for the browser by KubeGale Realtime. Sets window.Terminal with the
               attach and fit addons applied. */
            (function () {
            "use strict";
            var factories = Object.create(null);

            """
        for path in paths {
            guard let source = try? String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8) else {
                continue
            }
            let body = source.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("//# sourceMappingURL=") }
                .joined(separator: "\n")
            script += "factories[\"\(path)\"] = function (exports, require, module) {\n\(body)\n};\n"
        }
        script += """
            var cache = Object.create(null);
            function resolve(from, request) {
                var parts = from.split("/");
                parts.pop();
                request.split("/").forEach(function (part) {
                    if (part === "..") parts.pop();
                    else if (part !== "." && part !== "") parts.push(part);
                });
                var path = parts.join("/");
                var candidates = [path, path + ".js", path + "/index.js"];
                for (var i = 0; i < candidates.length; i++) {
                    if (factories[candidates[i]]) return candidates[i];
                }
                throw new Error("xterm bundle: no module '" + request + "' from " + from);
            }
            function load(path) {
                if (cache[path]) return cache[path].exports;
                var module = { exports: {} };
                cache[path] = module;
                factories[path].call(module.exports, module.exports, function (request) {
                    return load(resolve(path, request));
                }, module);
                return module.exports;
            }
            var Terminal = load("lib/xterm.js");

            """
        for addon in addons {
            script += "Terminal.applyAddon(load(\"lib/addons/\(addon)/\(addon).js\"));\n"
        }
        script += "window.Terminal = Terminal;\n})();\n"
        return Data(script.utf8)
    }
}
