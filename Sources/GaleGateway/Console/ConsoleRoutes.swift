import Foundation
import GaleConsole
import HTTPTypes
import Hummingbird
import NIOCore

/// The web console: `GET /` answers its page, `GET /assets/…` its scripts and styles, the
/// JavaScript client (`/assets/kubegale.js`) and xterm.js (`/assets/xterm.js`, `/assets/xterm.css`).
///
/// These files are public (the sign-in page has to load before there is a token); everything
/// they do goes through the authenticated API and socket. Every answer carries a strict
/// Content-Security-Policy: scripts only from the gateway itself, no inline script, no eval.
struct ConsoleRoutes: Sendable {
    /// `console/` files, at `/` and `/assets/`.
    let console: StaticFiles
    /// The client's modules (`js/*.js`, `js/*.d.ts`), at `/assets/`.
    let client: StaticFiles
    let xterm: XtermBundle

    static let securityHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            + "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        .cacheControl: "no-cache",
    ]

    /// The routes for `configuration`, or `nil` when the console is off or its files are missing.
    init?(configuration: ConsoleConfiguration) {
        guard configuration.enabled else { return nil }
        if let folder = configuration.directory {
            // Laid out like the repository's clients/.
            console = StaticFiles(root: folder.appendingPathComponent("console", isDirectory: true))
            client = StaticFiles(root: folder.appendingPathComponent("js", isDirectory: true))
        } else {
            // The built-in copy: `console/` and the client's modules side by side.
            guard let folder = GaleConsole.resourceFolder() else { return nil }
            console = StaticFiles(root: folder.appendingPathComponent("console", isDirectory: true))
            client = StaticFiles(root: folder)
        }
        xterm = XtermBundle(directory: configuration.xtermDirectory)
    }

    func add(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in self.answer(self.console.file(at: "index.html")) }
        router.get("/assets/**") { request, _ in
            let path = request.uri.path.dropFirst("/assets/".count)
            return self.asset(path)
        }
    }

    func asset(_ path: Substring) -> Response {
        switch path {
        case "xterm.js":
            guard let script = xterm.script() else { return Self.xtermMissing }
            return Self.response(StaticFiles.File(bytes: script, contentType: "text/javascript; charset=utf-8"))
        case "xterm.css":
            guard let css = xterm.stylesheet() else { return Self.xtermMissing }
            return Self.response(StaticFiles.File(bytes: css, contentType: "text/css; charset=utf-8"))
        default:
            // The client's modules sit beside the console's, so `import "./kubegale.js"` works.
            let isClientModule = !path.contains("/") && (path.hasSuffix(".js") || path.hasSuffix(".d.ts"))
            return answer((isClientModule ? client.file(at: path) : nil) ?? console.file(at: path))
        }
    }

    private func answer(_ file: StaticFiles.File?) -> Response {
        guard let file else {
            return Self.text(.notFound, "not found")
        }
        return Self.response(file)
    }

    static func response(_ file: StaticFiles.File) -> Response {
        var headers = securityHeaders
        headers[.contentType] = file.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    static var xtermMissing: Response {
        text(.notFound, "xterm.js is not installed: install Debian's node-xterm package (or point --xterm-dir at it)")
    }
}
