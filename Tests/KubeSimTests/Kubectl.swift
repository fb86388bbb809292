import Foundation
import KubeSim
import TestSupport

/// Runs the installed `kubectl` against a simulator through a kubeconfig the simulator wrote.
struct Kubectl {
    let kubeconfig: String

    init(_ server: KubeSimServer) throws {
        kubeconfig = NSTemporaryDirectory() + "kubesim-\(UUID().uuidString).yaml"
        try server.writeKubeconfig(to: kubeconfig)
    }

    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl") }

    /// A running kubectl whose output is collected as it arrives.
    typealias Running = ChildProcess

    /// Runs to completion: (exit status, stdout, stderr).
    func run(
        _ arguments: String..., stdin: Data? = nil, timeout: Duration = .seconds(30)
    ) async throws -> (status: Int32, out: String, err: String) {
        try await run(arguments, stdin: stdin, timeout: timeout)
    }

    func run(
        _ arguments: [String], stdin: Data? = nil, timeout: Duration = .seconds(30)
    ) async throws -> (status: Int32, out: String, err: String) {
        let running = try start(arguments, stdin: stdin)
        let status = await running.wait(timeout: timeout)
        return (status, running.output, running.errorOutput)
    }

    func start(_ arguments: String...) throws -> Running { try start(arguments) }

    private func start(_ arguments: [String], stdin: Data? = nil) throws -> Running {
        try ChildProcess(
            "/usr/bin/kubectl", ["--kubeconfig", kubeconfig] + arguments,
            environment: ["HOME=\(NSTemporaryDirectory())", "PATH=/usr/bin:/bin"], input: stdin)
    }
}
