import Foundation
import Glibc
import KubeSim
import Synchronization

/// Runs the installed `kubectl` against a simulator through a kubeconfig the simulator wrote.
struct Kubectl {
    let kubeconfig: String

    init(_ server: KubeSimServer) throws {
        kubeconfig = NSTemporaryDirectory() + "kubesim-\(UUID().uuidString).yaml"
        try server.writeKubeconfig(to: kubeconfig)
    }

    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl") }

    /// A running kubectl whose output is collected as it arrives.
    ///
    /// Started with `posix_spawn` rather than Foundation's `Process`, whose `run()` crashed in a
    /// `memmove` while the test process had many descriptors open (suites run in parallel).
    final class Running: Sendable {
        let pid: pid_t
        private let buffer = OutputBuffer()
        /// The read ends of stdout and stderr, kept open while kubectl runs.
        private let readers: [FileHandle]
        private let exit = Mutex<Int32?>(nil)

        init(_ arguments: [String], kubeconfig: String, stdin: Data? = nil) throws {
            var output: [Int32] = [-1, -1]
            var error: [Int32] = [-1, -1]
            var input: [Int32] = [-1, -1]
            guard pipe(&output) == 0, pipe(&error) == 0, pipe(&input) == 0 else {
                throw KubectlError("pipe: \(String(cString: strerror(errno)))")
            }
            // Not inherited by other children (kubectl gets its ends through dup2, which clears the flag).
            for descriptor in output + error + input { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, input[0], 0)
            posix_spawn_file_actions_adddup2(&actions, output[1], 1)
            posix_spawn_file_actions_adddup2(&actions, error[1], 2)
            let argv = ["/usr/bin/kubectl", "--kubeconfig", kubeconfig] + arguments
            let environment = ["HOME=\(NSTemporaryDirectory())", "PATH=/usr/bin:/bin"]
            var pid = pid_t()
            let spawned = Self.withCStrings(argv) { argv in
                Self.withCStrings(environment) { environment in
                    posix_spawn(&pid, "/usr/bin/kubectl", &actions, nil, argv, environment)
                }
            }
            for descriptor in [output[1], error[1], input[0]] { close(descriptor) }
            guard spawned == 0 else {
                for descriptor in [output[0], error[0], input[1]] { close(descriptor) }
                throw KubectlError("posix_spawn: \(String(cString: strerror(spawned)))")
            }
            self.pid = pid
            let buffer = self.buffer
            readers = [FileHandle(fileDescriptor: output[0], closeOnDealloc: true), FileHandle(fileDescriptor: error[0], closeOnDealloc: true)]
            readers[0].readabilityHandler = { handle in
                let chunk = handle.availableData
                if chunk.isEmpty { handle.readabilityHandler = nil }
                buffer.appendOut(chunk)
            }
            readers[1].readabilityHandler = { handle in
                let chunk = handle.availableData
                if chunk.isEmpty { handle.readabilityHandler = nil }
                buffer.appendErr(chunk)
            }
            let writer = FileHandle(fileDescriptor: input[1], closeOnDealloc: true)
            if let stdin { try? writer.write(contentsOf: stdin) }
            try? writer.close()
        }

        /// `argv`-style array of C strings (NULL-terminated) for `body`.
        private static func withCStrings<T>(
            _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T
        ) -> T {
            let pointers = strings.map { strdup($0) } + [nil]
            defer { for pointer in pointers { free(pointer) } }
            return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
        }

        var output: String { buffer.out }
        var errorOutput: String { buffer.err }

        /// Whether kubectl has not exited yet (reaps it when it has).
        var isRunning: Bool {
            if exit.withLock({ $0 }) != nil { return false }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return true }
            let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            exit.withLock { $0 = code }
            return false
        }

        func stop() {
            if isRunning { kill(pid, SIGTERM) }
        }

        /// Waits for exit (killing it after `timeout`), then for the rest of its output; returns the exit status.
        func wait(timeout: Duration = .seconds(30)) async -> Int32 {
            let deadline = ContinuousClock.now + timeout
            while isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if isRunning {
                kill(pid, SIGKILL)
                while isRunning { try? await Task.sleep(for: .milliseconds(10)) }
            }
            // Both pipes reach end of file once kubectl (and anything it started) is gone.
            let drained = ContinuousClock.now + .seconds(5)
            while !buffer.ended, ContinuousClock.now < drained { try? await Task.sleep(for: .milliseconds(10)) }
            return exit.withLock { $0 } ?? -1
        }
    }

    /// Runs to completion: (exit status, stdout, stderr).
    func run(_ arguments: String..., stdin: Data? = nil, timeout: Duration = .seconds(30)) async throws -> (status: Int32, out: String, err: String) {
        try await run(arguments, stdin: stdin, timeout: timeout)
    }

    func run(_ arguments: [String], stdin: Data? = nil, timeout: Duration = .seconds(30)) async throws -> (status: Int32, out: String, err: String) {
        let running = try Running(arguments, kubeconfig: kubeconfig, stdin: stdin)
        let status = await running.wait(timeout: timeout)
        return (status, running.output, running.errorOutput)
    }

    func start(_ arguments: String...) throws -> Running { try Running(arguments, kubeconfig: kubeconfig) }
}

/// Output collected from pipe callbacks on another thread.
final class OutputBuffer: Sendable {
    private let data = Mutex((out: Data(), err: Data(), outEnded: false, errEnded: false))

    /// Appends to stdout; an empty chunk is its end of file.
    func appendOut(_ chunk: Data) { data.withLock { chunk.isEmpty ? ($0.outEnded = true) : $0.out.append(chunk) } }
    /// Appends to stderr; an empty chunk is its end of file.
    func appendErr(_ chunk: Data) { data.withLock { chunk.isEmpty ? ($0.errEnded = true) : $0.err.append(chunk) } }
    var out: String { String(decoding: data.withLock { $0.out }, as: UTF8.self) }
    var err: String { String(decoding: data.withLock { $0.err }, as: UTF8.self) }
    /// Whether both streams reached end of file.
    var ended: Bool { data.withLock { $0.outEnded && $0.errEnded } }
}

struct KubectlError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
