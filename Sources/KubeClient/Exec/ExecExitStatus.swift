/// How an exec'd command ended, from the `Status` the server sends on channel 3.
public struct ExecExitStatus: Sendable, Hashable {
    /// The exit code: 0 for `Success`, the `ExitCode` cause of a `NonZeroExitCode` failure.
    public var code: Int
    /// The server's message for a failure.
    public var message: String?

    /// Creates an exit status.
    public init(code: Int, message: String? = nil) {
        self.code = code
        self.message = message
    }

    /// Reads the channel-3 `Status`; a failure other than `NonZeroExitCode` (container not found, ...) throws.
    static func parse(_ status: KubeJSON) throws -> ExecExitStatus {
        if status["status"]?.stringValue == "Success" { return ExecExitStatus(code: 0) }
        if status["reason"]?.stringValue == "NonZeroExitCode" {
            let causes = status["details"]?["causes"]?.arrayValue ?? []
            let exitCode = causes.first { $0["reason"]?.stringValue == "ExitCode" }?["message"]?.stringValue
            if let exitCode, let code = Int(exitCode) {
                return ExecExitStatus(code: code, message: status["message"]?.stringValue)
            }
        }
        throw KubeError.fromStatus(status)
    }
}
