/// What to run in a container and which streams to attach.
public struct ExecOptions: Sendable, Hashable {
    /// The command and its arguments.
    public var command: [String]
    /// Container name; required when the pod has more than one.
    public var container: String?
    /// Attach standard input.
    public var stdin: Bool
    /// Attach standard output.
    public var stdout: Bool
    /// Attach standard error (ignored by the server when `tty` is set: the terminal merges it into stdout).
    public var stderr: Bool
    /// Allocate a terminal (for xterm.js sessions).
    public var tty: Bool

    /// Creates exec options.
    public init(
        command: [String], container: String? = nil, stdin: Bool = false, stdout: Bool = true, stderr: Bool = true,
        tty: Bool = false
    ) {
        self.command = command
        self.container = container
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.tty = tty
    }

    var query: [(String, String)] {
        var query = command.map { ("command", $0) }
        if let container { query.append(("container", container)) }
        query.append(("stdin", String(stdin)))
        query.append(("stdout", String(stdout)))
        query.append(("stderr", String(stderr && !tty)))
        query.append(("tty", String(tty)))
        return query
    }
}
