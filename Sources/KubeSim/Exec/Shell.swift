import Foundation
import Synchronization

/// Where a command reads and writes.
struct ShellIO: Sendable {
    var input: InputPipe
    var output: @Sendable ([UInt8]) async -> Void
    var error: @Sendable ([UInt8]) async -> Void
    /// Whether the client went away (the session's SIGHUP); commands that never end on their own stop then.
    var hungUp: @Sendable () -> Bool = { false }

    func print(_ text: String) async { await output(Array(text.utf8)) }
    func printError(_ text: String) async { await error(Array(text.utf8)) }
}

/// The built-in shell behind exec: a few POSIX utilities over the container's in-memory filesystem.
/// Lives inside one exec session's task, so it needs no locking of its own.
final class Shell {
    let fs: MemoryFileSystem
    let hostname: String
    let terminal: TerminalSize
    var environment: [String: String]
    var cwd = "/"
    var lastStatus = 0
    var exitRequested: Int?
    /// Whether the session has a terminal (exec with `tty`); `stty` needs one.
    var hasTerminal = false

    init(fs: MemoryFileSystem, hostname: String, terminal: TerminalSize, environment: [String: String]) {
        self.fs = fs
        self.hostname = hostname
        self.terminal = terminal
        self.environment = [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME": hostname, "HOME": "/root",
            "TERM": "xterm",
        ].merging(environment) { $1 }
    }

    static let shells: Set<String> = ["sh", "bash", "ash", "/bin/sh", "/bin/bash", "/bin/ash", "/usr/bin/bash"]

    /// Runs an exec command (argv); returns the exit code.
    func exec(_ argv: [String], io: ShellIO, tty: Bool) async -> Int {
        guard let program = argv.first else { return 0 }
        if tty { hasTerminal = true }
        if Self.shells.contains(program) {
            if let index = argv.firstIndex(of: "-c") {
                guard index + 1 < argv.count else {
                    await io.printError("\(program): -c: option requires an argument\n")
                    return 2
                }
                return await runScript(argv[index + 1], io: io)
            }
            return await interactive(io: io, tty: tty)
        }
        return await runCommand(argv, io: io)
    }

    /// Runs a script (one or more lines).
    func runScript(_ text: String, io: ShellIO) async -> Int {
        let pipelines: [ShellParser.Pipeline]
        do {
            pipelines = try ShellParser.parse(text)
        } catch {
            await io.printError("sh: \(error.message)\n")
            lastStatus = 2
            return 2
        }
        for pipeline in pipelines {
            if pipeline.connector == "&&" && lastStatus != 0 { continue }
            if pipeline.connector == "||" && lastStatus == 0 { continue }
            lastStatus = await run(pipeline, io: io)
            if let code = exitRequested { return code }
        }
        return lastStatus
    }

    func expand(_ parts: [ShellParser.Part]) -> String {
        parts.map { part in
            switch part {
            case .literal(let text): return text
            case .variable("?"): return String(lastStatus)
            case .variable("$"): return "1"
            case .variable(let name): return environment[name] ?? ""
            }
        }.joined()
    }

    private func run(_ pipeline: ShellParser.Pipeline, io: ShellIO) async -> Int {
        var input = io.input
        var status = 0
        for (index, command) in pipeline.commands.enumerated() {
            let isLast = index == pipeline.commands.count - 1
            let collected = Mutex<[UInt8]>([])
            var commandIO = io
            commandIO.input = input
            if !isLast { commandIO.output = { bytes in collected.withLock { $0 += bytes } } }
            var words = command.words.map(expand)
            while let first = words.first, let equals = first.firstIndex(of: "="), first[..<equals].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
                equals != first.startIndex
            {
                environment[String(first[..<equals])] = String(first[first.index(after: equals)...])
                words.removeFirst()
            }
            var redirectFile: (path: String, append: Bool)?
            for redirect in command.redirects {
                switch redirect.op {
                case ">&2", "1>&2":
                    commandIO.output = io.error
                    continue
                case "2>&1":
                    commandIO.error = commandIO.output
                    continue
                case "2>":
                    commandIO.error = { _ in }
                    continue
                default: break
                }
                let target = MemoryFileSystem.resolve(expand(redirect.target), cwd: cwd)
                if redirect.op == "<" {
                    if target == "/dev/null" {
                        commandIO.input = InputPipe(closedWith: [])
                    } else {
                        do { commandIO.input = InputPipe(closedWith: try fs.read(target)) } catch {
                            await io.printError("sh: can't open '\(target)': No such file\n")
                            return 1
                        }
                    }
                } else {
                    redirectFile = (target, redirect.op == ">>")
                }
            }
            if let redirectFile {
                if redirectFile.path == "/dev/null" {
                    commandIO.output = { _ in }
                } else {
                    do { try fs.write(redirectFile.path, [], append: true) } catch {
                        await io.printError("sh: can't create \(redirectFile.path): nonexistent directory\n")
                        return 1
                    }
                    if !redirectFile.append { try? fs.write(redirectFile.path, []) }
                    let fs = self.fs
                    let path = redirectFile.path
                    commandIO.output = { bytes in try? fs.write(path, bytes, append: true) }
                }
            }
            status = words.isEmpty ? 0 : await runCommand(words, io: commandIO)
            if !isLast { input = InputPipe(closedWith: collected.withLock { $0 }) }
            if exitRequested != nil { break }
        }
        return status
    }

    var prompt: String { "\(cwd == environment["HOME"] ? "~" : cwd) # " }

    /// A read-eval-print loop; with a TTY it echoes keys and handles CR, backspace, Ctrl-C and Ctrl-D.
    func interactive(io: ShellIO, tty: Bool) async -> Int {
        var line: [UInt8] = []
        if tty { await io.print(prompt) }
        var escape = 0
        while let chunk = await io.input.read() {
            for byte in chunk {
                if escape > 0 {
                    escape = (escape == 1 && byte == UInt8(ascii: "[")) ? 2 : (byte >= 0x40 && byte <= 0x7E ? 0 : escape)
                    continue
                }
                switch byte {
                case 0x0D, 0x0A:
                    if tty { await io.print("\r\n") }
                    let text = String(decoding: line, as: UTF8.self)
                    line.removeAll()
                    _ = await runScript(text, io: io)
                    if let code = exitRequested { return code }
                    if tty { await io.print(prompt) }
                case 0x7F, 0x08:
                    if !line.isEmpty {
                        line.removeLast()
                        if tty { await io.print("\u{8} \u{8}") }
                    }
                case 0x03:
                    line.removeAll()
                    lastStatus = 130
                    if tty { await io.print("^C\r\n" + prompt) }
                case 0x04 where line.isEmpty:
                    if tty { await io.print("exit\r\n") }
                    return lastStatus
                case 0x1B:
                    escape = 1
                default:
                    line.append(byte)
                    if tty { await io.output([byte]) }
                }
            }
        }
        // End of input runs a last unterminated line; a hang-up (the client went away) does not.
        if !line.isEmpty && !io.hungUp() { _ = await runScript(String(decoding: line, as: UTF8.self), io: io) }
        return exitRequested ?? lastStatus
    }
}
