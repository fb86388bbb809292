import Foundation
import Synchronization
import Testing

@testable import KubeSim

@Suite struct ShellTests {
    final class Capture: Sendable {
        private let out = Mutex([UInt8]())
        private let err = Mutex([UInt8]())
        var stdout: String { String(decoding: out.withLock { $0 }, as: UTF8.self) }
        var stderr: String { String(decoding: err.withLock { $0 }, as: UTF8.self) }
        func io(_ input: InputPipe) -> ShellIO {
            ShellIO(input: input, output: { bytes in self.out.withLock { $0 += bytes } }, error: { bytes in self.err.withLock { $0 += bytes } })
        }
    }

    func run(_ argv: [String], stdin: String? = nil, fs: MemoryFileSystem = .seeded(hostname: "web-0", image: "nginx"), tty: Bool = false)
        async -> (Int, Capture)
    {
        let capture = Capture()
        let input = stdin.map { InputPipe(closedWith: Array($0.utf8)) } ?? InputPipe(closedWith: [])
        let shell = Shell(fs: fs, hostname: "web-0", terminal: TerminalSize(), environment: ["GREETING": "hi"])
        let code = await shell.exec(argv, io: capture.io(input), tty: tty)
        return (code, capture)
    }

    @Test func builtinsAndScripts() async {
        let fs = MemoryFileSystem.seeded(hostname: "web-0", image: "nginx")
        var (code, out) = await run(["echo", "hello", "world"], fs: fs)
        #expect(code == 0 && out.stdout == "hello world\n")
        (code, out) = await run(["sh", "-c", "mkdir -p /work/a && cd /work/a && echo \"$GREETING there\" > note.txt && pwd; cat note.txt"], fs: fs)
        #expect(out.stdout == "/work/a\nhi there\n")
        (code, out) = await run(["sh", "-c", "false || echo fallback; true && echo chained; exit 7"], fs: fs)
        #expect(out.stdout == "fallback\nchained\n")
        #expect(code == 7)
        (code, out) = await run(["sh", "-c", "echo one two | cat; ls /work; test -d /work && echo dir; [ -f /nope ] || echo nofile"], fs: fs)
        #expect(out.stdout == "one two\na\ndir\nnofile\n")
        // A digit is a word like any other unless a redirect follows it.
        (code, out) = await run(["sh", "-c", "echo hi1 1 21 2; exit 1"], fs: fs)
        #expect(out.stdout == "hi1 1 21 2\n" && code == 1)
        (code, out) = await run(["sh", "-c", "echo kept 1>/tmp/one; echo lost 2>/dev/null; cat /tmp/one"], fs: fs)
        #expect(out.stdout == "lost\nkept\n")
        (code, out) = await run(["cat"], stdin: "piped\n", fs: fs)
        #expect(out.stdout == "piped\n")
        (code, out) = await run(["nosuch"], fs: fs)
        #expect(code == 127)
        #expect(out.stderr.contains("not found"))
        (code, out) = await run(["sh", "-c", "echo err >&2; rm -r /work; ls /work"], fs: fs)
        #expect(out.stderr.hasPrefix("err\n"))
        #expect(code == 1)
        (code, out) = await run(["hostname"], fs: fs)
        #expect(out.stdout == "web-0\n")
        (code, out) = await run(["env"], fs: fs)
        #expect(out.stdout.contains("GREETING=hi\n") && out.stdout.contains("HOSTNAME=web-0\n"))
    }

    @Test func tarRoundTripThroughTheShell() async throws {
        let fs = MemoryFileSystem.seeded(hostname: "web-0", image: "nginx")
        try fs.makeDirectory("/srv/site", parents: true)
        try fs.write("/srv/site/index.html", Array("<h1>hi</h1>".utf8))
        let (code, out) = await run(["tar", "cf", "-", "/srv/site"], fs: fs)
        #expect(code == 0)
        let archive = try TarArchive.read(Array(out.stdout.utf8))
        #expect(archive.map(\.name) == ["srv/site/", "srv/site/index.html"])
        let target = MemoryFileSystem.seeded(hostname: "web-1", image: "nginx")
        try target.makeDirectory("/restore")
        let capture = Capture()
        let shell = Shell(fs: target, hostname: "web-1", terminal: TerminalSize(), environment: [:])
        let status = await shell.exec(["tar", "-xmf", "-", "-C", "/restore"], io: capture.io(InputPipe(closedWith: TarArchive.write(archive))), tty: false)
        #expect(status == 0, "\(capture.stderr)")
        #expect(try target.read("/restore/srv/site/index.html") == Array("<h1>hi</h1>".utf8))
    }

    @Test func interactiveTerminalEditsLines() async {
        let input = InputPipe()
        let capture = Capture()
        let terminal = TerminalSize()
        terminal.set(rows: 40, columns: 120)
        let shell = Shell(fs: .seeded(hostname: "web-0", image: "nginx"), hostname: "web-0", terminal: terminal, environment: [:])
        input.push(Array("echo helo".utf8) + [0x7F] + Array("lo\r".utf8))
        input.push(Array("stty size\r".utf8))
        input.push(Array("exit 4\r".utf8))
        let code = await shell.exec(["sh"], io: capture.io(input), tty: true)
        #expect(code == 4)
        #expect(capture.stdout.contains("\u{8} \u{8}"))
        #expect(capture.stdout.contains("hello\n"))
        #expect(capture.stdout.contains("40 120\n"))
        #expect(capture.stdout.hasPrefix("/ # "))
    }

    @Test func execStatusObjects() {
        #expect(ExecSession.status(exitCode: 0, command: ["true"]) == ["metadata": .object([:]), "status": "Success"])
        let failure = ExecSession.status(exitCode: 3, command: ["sh", "-c", "exit 3"])
        #expect(failure["reason"] == "NonZeroExitCode")
        #expect(failure[path: ["details", "causes"]] == [["reason": "ExitCode", "message": "3"]])
        #expect(ExecSession.terminalOutput(Array("a\nb\r\n".utf8)) == Array("a\r\nb\r\n".utf8))
    }
}
