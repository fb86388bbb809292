import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A program the tests run (kubectl, node, ss, tar), spawned so that it inherits nothing but its
/// three standard streams, and awaited without holding a thread of the concurrency pool.
///
/// Both matter because every suite shares one process. A child that inherits descriptors keeps
/// open the write end of any pipe another test is reading at that moment, so that reader sees no
/// end of file until the child exits. And a reader that blocks (`readDataToEndOfFile`,
/// `waitUntilExit`) holds one of the pool's threads, two on this machine. Together they stalled a
/// whole run: kubectl kept a pipe of another test's `ss` open while it waited for KubeSim, whose
/// handlers needed the very pool threads blocked on that pipe.
public final class ChildProcess: Sendable {
    /// What a finished program left.
    public struct Outcome: Sendable, CustomStringConvertible {
        /// The exit status, or 128 + the signal that ended it.
        public let status: Int32
        public let output: String
        public let errorOutput: String

        public var description: String {
            "status \(status), stdout \(output.debugDescription), stderr \(errorOutput.debugDescription)"
        }
    }

    public let pid: pid_t
    private let buffer = Output()
    /// The read ends of stdout and stderr, kept open while the program runs.
    private let readers: [FileHandle]
    private let exit = Mutex<Int32?>(nil)

    /// Starts `executable` (an absolute path) with `arguments`; `environment` as `NAME=value`
    /// entries (this process's own by default) and `input` written to its stdin, which is then closed.
    public init(_ executable: String, _ arguments: [String], environment: [String]? = nil, input: Data? = nil) throws {
        let output = try Self.pipe()
        let error = try Self.pipe()
        let stdin = try Self.pipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin.read, 0)
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        posix_spawn_file_actions_adddup2(&actions, error.write, 2)
        try Self.closeTheRest(&actions)
        var pid = pid_t()
        let spawned = Self.withCStrings([executable] + arguments) { argv in
            if let environment {
                Self.withCStrings(environment) { posix_spawn(&pid, executable, &actions, nil, argv, $0) }
            } else {
                posix_spawn(&pid, executable, &actions, nil, argv, environ)
            }
        }
        for descriptor in [output.write, error.write, stdin.read] { close(descriptor) }
        guard spawned == 0 else {
            for descriptor in [output.read, error.read, stdin.write] { close(descriptor) }
            throw ChildProcessError("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
        let buffer = self.buffer
        readers = [
            FileHandle(fileDescriptor: output.read, closeOnDealloc: true),
            FileHandle(fileDescriptor: error.read, closeOnDealloc: true),
        ]
        for (reader, isError) in zip(readers, [false, true]) {
            reader.readabilityHandler = { handle in
                let chunk = handle.availableData
                // At end of file the handler would be called again and again.
                if chunk.isEmpty { handle.readabilityHandler = nil }
                buffer.append(chunk, error: isError)
            }
        }
        // On a thread of its own: a large input blocks until the program reads it.
        let writer = FileHandle(fileDescriptor: stdin.write, closeOnDealloc: true)
        Thread.detachNewThread {
            if let input { try? writer.write(contentsOf: input) }
            try? writer.close()
        }
    }

    /// Runs `executable` to its end (killed after `timeout`).
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String]? = nil, input: Data? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> Outcome {
        let child = try ChildProcess(executable, arguments, environment: environment, input: input)
        let status = await child.wait(timeout: timeout)
        return Outcome(status: status, output: child.output, errorOutput: child.errorOutput)
    }

    /// What the program printed to stdout so far.
    public var output: String { buffer.text(error: false) }
    /// What the program printed to stderr so far.
    public var errorOutput: String { buffer.text(error: true) }

    /// Whether the program has not exited yet (reaps it when it has).
    public var isRunning: Bool {
        if exit.withLock({ $0 }) != nil { return false }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return true }
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        exit.withLock { $0 = code }
        return false
    }

    /// Asks the program to end (SIGTERM).
    public func stop() {
        if isRunning { kill(pid, SIGTERM) }
    }

    /// Waits for the program to exit (killing it after `timeout`), then for the rest of its
    /// output; returns its exit status. Polls, so no pool thread is held while it runs.
    public func wait(timeout: Duration = .seconds(30)) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if isRunning {
            kill(pid, SIGKILL)
            while isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        }
        // Both pipes reach end of file once the program is gone: nothing else holds their write ends.
        let drained = ContinuousClock.now + .seconds(5)
        while !buffer.ended, ContinuousClock.now < drained { try? await Task.sleep(for: .milliseconds(10)) }
        return exit.withLock { $0 } ?? -1
    }

    // MARK: Spawning

    /// A pipe whose ends are not inherited (the child gets its own through `dup2`). Other
    /// programs the tests start close what they did not ask for, so the moment before the flag
    /// is set leaks nothing to them.
    private static func pipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard Glibc.pipe(&ends) == 0 else {
            throw ChildProcessError("pipe: \(String(cString: strerror(errno)))")
        }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// Makes the child close every descriptor above its standard streams, whether or not it was
    /// opened close-on-exec (Foundation's `Pipe`, for one, is not). glibc 2.34 has an action for
    /// it, not declared in Swift's Glibc module.
    private static func closeTheRest(_ actions: inout posix_spawn_file_actions_t) throws {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            throw ChildProcessError("this C library cannot close a child's inherited descriptors")
        }
        let closeFrom = unsafeBitCast(symbol, to: CloseFrom.self)
        guard closeFrom(&actions, 3) == 0 else {
            throw ChildProcessError("posix_spawn_file_actions_addclosefrom_np failed")
        }
    }

    /// `argv`-style array of C strings (NULL-terminated) for `body`.
    private static func withCStrings<T>(
        _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T
    ) -> T {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Output collected from pipe callbacks on another thread.
    private final class Output: Sendable {
        private let state = Mutex((out: Data(), err: Data(), outEnded: false, errEnded: false))

        /// Appends to stdout or stderr; an empty chunk is that stream's end of file.
        func append(_ chunk: Data, error: Bool) {
            state.withLock { state in
                switch (error, chunk.isEmpty) {
                case (false, true): state.outEnded = true
                case (false, false): state.out.append(chunk)
                case (true, true): state.errEnded = true
                case (true, false): state.err.append(chunk)
                }
            }
        }

        func text(error: Bool) -> String { String(decoding: state.withLock { error ? $0.err : $0.out }, as: UTF8.self) }
        var ended: Bool { state.withLock { $0.outEnded && $0.errEnded } }
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
