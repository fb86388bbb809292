import Foundation

/// Starts an exec credential plugin process and collects its standard output.
///
/// Foundation's `Process` is used because no listed package runs child processes; the blocking
/// waits happen on a Dispatch queue, never on the Swift concurrency pool.
enum ExecCredentialProcess {
    /// Variables of the host process that a plugin never sees.
    static let privateEnvironmentPrefix = "KUBEGALE_"

    static func run(_ configuration: ExecCredentialPlugin.Configuration) async throws -> Data {
        let command = configuration.command
        @Sendable func failure(_ reason: String) -> KubeconfigError { .execFailed(command: command, reason: reason) }

        guard ExecCredentialPlugin.supportedAPIVersions.contains(configuration.apiVersion) else {
            throw failure("apiVersion \"\(configuration.apiVersion)\" is not supported")
        }
        if configuration.interactiveMode == "Always" {
            throw failure("the plugin requires an interactive terminal (interactiveMode: Always)")
        }
        guard let executable = resolveExecutable(configuration) else {
            throw failure("command not found")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = configuration.arguments
        // The plugin inherits the environment as under kubectl, minus the gateway's own settings
        // (`KUBEGALE_*` holds secrets such as the JWT and sealing keys).
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix(Self.privateEnvironmentPrefix) }
        for (name, value) in configuration.environment { environment[name] = value }
        environment["KUBERNETES_EXEC_INFO"] = execInfo(configuration)
        process.environment = environment
        if let directory = configuration.workingDirectory {
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
        }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let timeout = configuration.timeout

        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: failure("cannot start: \(error.localizedDescription)"))
                    return
                }
                let timedOut = TimeoutFlag()
                let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                    if process.isRunning {
                        timedOut.set()
                        process.terminate()
                    }
                }
                let errorOutput = ErrorOutput()
                let group = DispatchGroup()
                group.enter()
                DispatchQueue.global().async {
                    errorOutput.data = stderr.fileHandleForReading.readDataToEndOfFile()
                    group.leave()
                }
                let output = stdout.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                process.waitUntilExit()
                if timedOut.isSet {
                    continuation.resume(throwing: failure("timed out after \(timeout)"))
                } else if process.terminationStatus != 0 {
                    var reason = "exited with status \(process.terminationStatus)"
                    let message = String(decoding: errorOutput.data.prefix(300), as: UTF8.self)
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                    if !message.isEmpty { reason += ": \(message)" }
                    continuation.resume(throwing: failure(reason))
                } else {
                    continuation.resume(returning: output)
                }
            }
        }
    }

    /// The `KUBERNETES_EXEC_INFO` document client-go passes to every plugin.
    static func execInfo(_ configuration: ExecCredentialPlugin.Configuration) -> String {
        var spec: [String: Any] = ["interactive": false]
        if let cluster = configuration.clusterInfo {
            var info: [String: Any] = [:]
            for (key, value) in cluster { info[key] = key == "insecure-skip-tls-verify" ? (value == "true") : value }
            spec["cluster"] = info
        }
        let document: [String: Any] = [
            "apiVersion": configuration.apiVersion, "kind": "ExecCredential", "spec": spec,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func resolveExecutable(_ configuration: ExecCredentialPlugin.Configuration) -> String? {
        let command = configuration.command
        let fileManager = FileManager.default
        if command.contains("/") {
            var path = command
            if !command.hasPrefix("/"), let directory = configuration.workingDirectory {
                path = URL(fileURLWithPath: directory).appendingPathComponent(command).path
            }
            return fileManager.isExecutableFile(atPath: path) ? path : nil
        }
        let searchPath =
            configuration.environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in searchPath.split(separator: ":") {
            let candidate = "\(directory)/\(command)"
            if fileManager.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Written once by the timeout timer, read after the process exited.
/// `@unchecked Sendable`: every access goes through the lock.
private final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// Filled by the stderr reader before `DispatchGroup.leave()` and read only after `wait()`, which
/// orders the accesses. `@unchecked Sendable` for that reason.
private final class ErrorOutput: @unchecked Sendable {
    var data = Data()
}
