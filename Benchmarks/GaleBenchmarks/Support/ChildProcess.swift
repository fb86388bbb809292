import Foundation
import Synchronization

/// A child process talking in lines: the parent writes commands to its stdin and reads its
/// reports from its stdout. By default this benchmark binary run again; `GatewayProcess` runs
/// `kubegale serve` with it.
///
/// Sendable: every stored property is immutable and itself Sendable (Foundation's `Process` and
/// `FileHandle` are), so the handle may be kept by Sendable values such as `BenchCluster`.
final class ChildProcess: Sendable {
    private let process: Process
    private let input: FileHandle
    let lines: AsyncStream<String>

    /// Starts `EXECUTABLE ARGUMENTS...`; without an executable, `kubegale-bench ARGUMENTS...`.
    init(executable: URL? = nil, arguments: [String]) throws {
        let process = Process()
        process.executableURL = executable ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        try process.run()
        self.process = process
        self.input = stdin.fileHandleForWriting
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        let reader = stdout.fileHandleForReading
        // A thread, not a task: it blocks in read(2) until the child writes or exits.
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                pending.append(data)
                while let newline = pending.firstIndex(of: 0x0A) {
                    continuation.yield(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            continuation.finish()
        }
    }

    var pid: Int32 { process.processIdentifier }

    func send(_ line: String) {
        input.write(Data((line + "\n").utf8))
    }

    func wait() {
        try? input.close()
        process.waitUntilExit()
    }

    /// Sends SIGTERM and waits up to `patience` for the process to exit, then sends SIGKILL.
    func terminate(patience: Duration = .seconds(15)) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + patience
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? input.close()
        process.waitUntilExit()
    }
}

/// Reads the child's lines in order.
struct ChildLines {
    var iterator: AsyncStream<String>.AsyncIterator

    /// The next line starting with `prefix` (others are echoed); throws when the child exits first.
    mutating func expect(_ prefix: String) async throws -> String {
        while let line = await iterator.next() {
            if line.hasPrefix(prefix) { return line }
            print("  [child] \(line)")
        }
        throw LoadSocketError("the child process ended before \"\(prefix)\"")
    }
}
