public import Foundation

/// Where the web console's files come from.
public struct ConsoleConfiguration: Sendable {
    /// A folder laid out like the repository's `clients/` (`console/` and `js/`) served instead
    /// of the built-in files, read on every request: for developing the console without
    /// rebuilding. `nil` serves the files built into the gateway.
    public var directory: URL?
    /// Debian's `node-xterm` package (xterm.js 3.8 as CommonJS modules), bundled for the browser
    /// by the gateway at `/assets/xterm.js`. When it is missing the console works without its
    /// terminal, and `/assets/xterm.js` answers 404 saying what to install.
    public var xtermDirectory: URL
    /// Serve the console at all; off leaves `/` and `/assets/` unrouted (an API-only gateway).
    public var enabled: Bool

    public init(
        directory: URL? = nil,
        xtermDirectory: URL = URL(fileURLWithPath: "/usr/share/nodejs/xterm"),
        enabled: Bool = true
    ) {
        self.directory = directory
        self.xtermDirectory = xtermDirectory
        self.enabled = enabled
    }
}
