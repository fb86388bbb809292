import AsyncHTTPClient
import Foundation
import GaleConsole
import GaleJSON
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

@testable import GaleGateway

/// The web console's routes: its files served with a strict policy, nothing else reachable
/// through them, xterm.js bundled from Debian's package, and the error-status option of the API.
@Suite struct ConsoleTests {
    /// A console folder laid out like `clients/`, with things beside it that must stay unreachable.
    final class ConsoleFolder {
        let root: URL

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("kubegale-console-\(UUID().uuidString)")
            try write("console/index.html", "<!doctype html><title>KubeGale</title>")
            try write("console/app.js", "import { connect } from \"./kubegale.js\";")
            try write("console/views/pods.js", "export const view = 1;")
            try write("console/.env", "SECRET=1")
            try write("console/notes.txt", "not a console file")
            try write("js/kubegale.js", "export function connect() {}")
            try write("js/kubegale.d.ts", "export declare function connect(): void;")
            try write("secret.js", "outside the console folder")
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        func write(_ path: String, _ text: String) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }

    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: String
    }

    static func get(_ port: Int, _ path: String) async throws -> Answer {
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 8 << 20)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return Answer(status: Int(response.status.code), headers: headers, body: String(buffer: bytes))
    }

    @Test func servesThePageAndItsModulesWithAStrictPolicy() async throws {
        let folder = try ConsoleFolder()
        try await TestGateway.with(configure: { $0.console.directory = folder.root }) { server in
            let page = try await Self.get(server.port, "/")
            #expect(page.status == 200)
            #expect(page.body.contains("<title>KubeGale</title>"))
            #expect(page.headers["content-type"] == "text/html; charset=utf-8")
            let policy = try #require(page.headers["content-security-policy"])
            #expect(policy.contains("script-src 'self';"))
            #expect(!policy.contains("unsafe-eval"))
            #expect(policy.contains("frame-ancestors 'none'"))
            #expect(page.headers["x-content-type-options"] == "nosniff")

            let app = try await Self.get(server.port, "/assets/app.js")
            #expect(app.status == 200)
            #expect(app.headers["content-type"] == "text/javascript; charset=utf-8")
            #expect(try await Self.get(server.port, "/assets/views/pods.js").body == "export const view = 1;")
            // The client's module sits beside the console's, so `./kubegale.js` resolves.
            #expect(try await Self.get(server.port, "/assets/kubegale.js").body == "export function connect() {}")
            #expect(try await Self.get(server.port, "/assets/kubegale.d.ts").status == 200)
        }
    }

    @Test func nothingOutsideTheConsoleIsReachable() async throws {
        let folder = try ConsoleFolder()
        try await TestGateway.with(configure: { $0.console.directory = folder.root }) { server in
            for path in [
                "/assets/../secret.js", "/assets/%2e%2e/secret.js", "/assets/..%2fsecret.js", "/assets/.env",
                "/assets/notes.txt", "/assets/views/../../secret.js", "/assets/", "/assets/views",
                "/assets//etc/passwd", "/assets/index.html%00.js",
            ] {
                let answer = try await Self.get(server.port, path)
                #expect(answer.status == 404, "\(path) answered \(answer.status)")
                #expect(!answer.body.contains("outside the console folder"), "\(path)")
                #expect(!answer.body.contains("SECRET"), "\(path)")
            }
        }
        let files = StaticFiles(root: folder.root.appendingPathComponent("console"))
        for path in ["../secret.js", "views/../../secret.js", ".env", "views/.", "", "/index.html", "a//b.js"] {
            #expect(files.file(at: Substring(path)) == nil, "\(path)")
        }
        #expect(files.file(at: "views/pods.js")?.contentType == "text/javascript; charset=utf-8")
    }

    @Test func consoleCanBeTurnedOff() async throws {
        let folder = try ConsoleFolder()
        let off = ConsoleConfiguration(directory: folder.root, enabled: false)
        try await TestGateway.with(configure: { $0.console = off }) { server in
            let page = try await Self.get(server.port, "/")
            #expect(page.status == 404)
            let script = try await Self.get(server.port, "/assets/app.js")
            #expect(script.status == 404)
        }
    }

    /// The files built into the gateway: the console's page and the JavaScript client are copied
    /// as resources beside the executable (here: the test binary).
    @Test func builtInFilesAreBesideTheExecutable() throws {
        let folder = try #require(GaleConsole.resourceFolder())
        let files = StaticFiles(root: folder.appendingPathComponent("console"))
        #expect(files.file(at: "index.html") != nil)
        let client = StaticFiles(root: folder)
        for module in ["kubegale.js", "kubegale-core.js", "kubegale-channels.js", "kubegale-streams.js", "kubegale.d.ts"] {
            #expect(client.file(at: Substring(module)) != nil, "\(module)")
        }
        // Only what a browser loads: not the client's tests or package files.
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("test").path))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("package.json").path))
        #expect(GaleConsole.resourceFolder(besideExecutable: URL(fileURLWithPath: "/nonexistent")) == nil)
    }

    /// A package laid out like node-xterm: CommonJS modules requiring each other by relative paths,
    /// tests and addons the console does not use.
    static func fakeXterm() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kubegale-xterm-\(UUID().uuidString)")
        let files = [
            "lib/xterm.js": "var Terminal_1 = require(\"./public/Terminal\");\nmodule.exports = Terminal_1.Terminal;\n//# sourceMappingURL=xterm.js.map",
            "lib/public/Terminal.js":
                "var core = require(\"../core/index\");\nfunction Terminal() {}\nTerminal.applyAddon = function (addon) { addon.apply(Terminal); };\nTerminal.core = core.name;\nexports.Terminal = Terminal;",
            "lib/core/index.js": "exports.name = \"core\";",
            "lib/public/Terminal.test.js": "require(\"chai\");",
            "lib/addons/attach/attach.js": "exports.apply = function (T) { T.prototype.attach = function () { return \"attached\"; }; };",
            "lib/addons/fit/fit.js": "exports.apply = function (T) { T.prototype.fit = function () { return \"fitted\"; }; };",
            "lib/addons/search/search.js": "throw new Error(\"not bundled\");",
            "lib/xterm.css": ".xterm { color: red; }",
        ]
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return root
    }

    /// Runs `script` with node, with a bare `window` object; returns what it printed.
    static func node(_ script: String) async throws -> String {
        let node = try await ChildProcess.run("/usr/bin/env", ["node", "-e", script])
        return (node.output + node.errorOutput).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func xtermBundleLoadsTheModulesWithTheAddons() async throws {
        let package = try Self.fakeXterm()
        defer { try? FileManager.default.removeItem(at: package) }
        #expect(
            XtermBundle.modulePaths(in: package) == [
                "lib/addons/attach/attach.js", "lib/addons/fit/fit.js", "lib/core/index.js", "lib/public/Terminal.js",
                "lib/xterm.js",
            ])
        let bundle = try #require(XtermBundle(directory: package).script())
        let text = String(decoding: bundle, as: UTF8.self)
        #expect(!text.contains("sourceMappingURL"))
        let bundleFile = package.appendingPathComponent("bundle.js")
        try bundle.write(to: bundleFile)
        // The bundle runs as a browser script would: it only needs `window`.
        let printed = try await Self.node(
            "global.window = {}; require(\(GaleJSON.JSONValue.string(bundleFile.path).jsonString)); "
                + "const T = window.Terminal; console.log(T.core, new T().attach(), new T().fit());")
        #expect(printed == "core attached fitted")

        try await TestGateway.with(configure: { $0.console.xtermDirectory = package }) { server in
            let script = try await Self.get(server.port, "/assets/xterm.js")
            #expect(script.status == 200)
            #expect(script.headers["content-type"] == "text/javascript; charset=utf-8")
            #expect(script.body == text)
            #expect(try await Self.get(server.port, "/assets/xterm.css").body == ".xterm { color: red; }")
        }
        try await TestGateway.with(configure: { $0.console.xtermDirectory = package.appendingPathComponent("missing") }) {
            server in
            let missing = try await Self.get(server.port, "/assets/xterm.js")
            #expect(missing.status == 404)
            #expect(missing.body.contains("node-xterm"))
            #expect(!missing.body.contains(package.path))
        }
    }

    /// Debian's node-xterm itself, as the console loads it (installed by the test script).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/nodejs/xterm/lib/xterm.js")))
    func debianXtermBundleDefinesTerminal() async throws {
        let bundle = try #require(XtermBundle(directory: URL(fileURLWithPath: "/usr/share/nodejs/xterm")).script())
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("xterm-\(UUID().uuidString).js")
        defer { try? FileManager.default.removeItem(at: file) }
        try bundle.write(to: file)
        let printed = try await Self.node(
            "global.window = {}; global.navigator = { userAgent: \"\", platform: \"Linux\" }; "
                + "require(\(GaleJSON.JSONValue.string(file.path).jsonString)); const T = window.Terminal; "
                + "console.log(typeof T, typeof T.prototype.fit, typeof T.prototype.attach);")
        #expect(printed == "function function function")
    }

    @Test func errorsAnsweredWithTheirStatusOrAlways200() async throws {
        try await TestGateway.with { server in
            let token = try await server.token()
            let missing = try await server.http(.GET, "/clusters/999", token: token)
            #expect(missing.status == 404)
            #expect(missing.envelope["code"]?.intValue == 1002)
            #expect(try await server.http(.GET, "/clusters", token: nil).status == 401)
        }
        try await TestGateway.with(configure: { $0.errorHTTPStatus = .envelope }) { server in
            let token = try await server.token()
            let missing = try await server.http(.GET, "/clusters/999", token: token)
            #expect(missing.status == 200)
            #expect(missing.envelope["code"]?.intValue == 1002)
            let anonymous = try await server.http(.GET, "/clusters", token: nil)
            #expect(anonymous.status == 200)
            #expect(anonymous.envelope["code"]?.intValue == 2001)
            let fine = try await server.http(.GET, "/clusters", token: token)
            #expect(fine.status == 200)
            #expect(fine.envelope["code"]?.intValue == 0)
        }
        #expect(ErrorHTTPStatus("envelope") == .envelope)
        #expect(ErrorHTTPStatus("mapped") == .mapped)
        #expect(ErrorHTTPStatus("always") == nil)
    }
}
