/// Errors of the simulator's own lifecycle (not API errors, which are ``KubeStatusError``).
public struct KubeSimError: Error, CustomStringConvertible, Sendable {
    private enum Code: Sendable {
        case notRunning
        case bindFailed(String, Int)
    }

    private let code: Code

    /// The operation needs a running listener.
    public static let notRunning = KubeSimError(code: .notRunning)

    /// The listener could not bind.
    public static func bindFailed(host: String, port: Int) -> KubeSimError { KubeSimError(code: .bindFailed(host, port)) }

    /// Whether this is a listener that could not bind.
    public var isBindFailure: Bool {
        if case .bindFailed = code { return true }
        return false
    }

    public var description: String {
        switch code {
        case .notRunning: return "kubesim is not running"
        case .bindFailed(let host, let port): return "kubesim could not listen on \(host):\(port)"
        }
    }
}
