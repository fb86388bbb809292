import Foundation
import Synchronization

/// This benchmark binary run again as a child process, talking in lines: the parent writes
/// commands to its stdin and reads its reports from its stdout.
final class ChildProcess {
    private let process: Process
    private let input: FileHandle
    let lines: AsyncStream<String>

    /// Starts `kubegale-bench ARGUMENTS...`.
    init(arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
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
