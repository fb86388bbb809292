import Foundation
import KubeSim

/// Runs the installed `kubectl` against a simulator through a kubeconfig the simulator wrote.
struct Kubectl {
    let kubeconfig: String

    init(_ server: KubeSimServer) throws {
        kubeconfig = NSTemporaryDirectory() + "kubesim-\(UUID().uuidString).yaml"
        try server.writeKubeconfig(to: kubeconfig)
    }

    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl") }

    /// A running kubectl whose output is collected as it arrives.
    final class Running: Sendable {
        let process: Process
        private let buffer = OutputBuffer()

        init(_ arguments: [String], kubeconfig: String, stdin: Data? = nil) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/kubectl")
            process.arguments = ["--kubeconfig", kubeconfig] + arguments
            process.environment = ["HOME": NSTemporaryDirectory(), "PATH": "/usr/bin:/bin"]
            let output = Pipe()
            let error = Pipe()
            process.standardOutput = output
            process.standardError = error
            let input = Pipe()
            process.standardInput = input
            let buffer = self.buffer
            output.fileHandleForReading.readabilityHandler = { handle in buffer.appendOut(handle.availableData) }
            error.fileHandleForReading.readabilityHandler = { handle in buffer.appendErr(handle.availableData) }
            self.process = process
            try process.run()
            if let stdin { input.fileHandleForWriting.write(stdin) }
            try? input.fileHandleForWriting.close()
        }

        var output: String { buffer.out }
        var errorOutput: String { buffer.err }

        func stop() {
            if process.isRunning { process.terminate() }
        }

        /// Waits for exit (killing it after `timeout`); returns the exit status.
        func wait(timeout: Duration = .seconds(30)) async -> Int32 {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            try? await Task.sleep(for: .milliseconds(30))
            return process.terminationStatus
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
    private let data = LockedBox((Data(), Data()))

    func appendOut(_ chunk: Data) { data.update { $0.0.append(chunk) } }
    func appendErr(_ chunk: Data) { data.update { $0.1.append(chunk) } }
    var out: String { String(decoding: data.read { $0.0 }, as: UTF8.self) }
    var err: String { String(decoding: data.read { $0.1 }, as: UTF8.self) }
}

/// `@unchecked Sendable`: all access goes through the lock.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func update(_ body: (inout Value) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        body(&value)
    }
    func read<T>(_ body: (Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(value)
    }
}
