import Foundation
import GaleJSON

/// The main process of a simulated container: what `kubectl attach` joins.
///
/// A container started with `stdin: true` (`kubectl run -it`, the ephemeral containers of `kubectl debug`) runs
/// an interactive shell: attach reads its stdin and shows its output. Any other container is a server writing
/// its log: attach shows the log lines written from then on (the same lines `kubectl logs` returns) and drops
/// what is typed, until the client detaches.
enum ContainerProcess: Sendable {
    case shell
    case logWriter(LogGenerator.Window)

    init(container: JSONValue, pod: JSONValue, logs: LogGenerator) throws {
        if container["stdin"]?.boolValue == true {
            self = .shell
            return
        }
        let name = container["name"]?.stringValue ?? ""
        self = .logWriter(try logs.window(pod: pod, query: QueryParameters("container=\(name)")))
    }

    /// Whether the process reads its stdin.
    var readsInput: Bool {
        if case .shell = self { return true }
        return false
    }

    /// The argv an exec of the same process would run.
    var command: [String] {
        switch self {
        case .shell: return ["sh"]
        case .logWriter: return ["/docker-entrypoint.sh"]
        }
    }

    /// Writes the log lines of `window` as they come due, until the client goes away; returns the exit code 0
    /// (the process goes on running after a detach).
    func followLog(_ window: LogGenerator.Window, logs: LogGenerator, io: ShellIO) async -> Int {
        var next = logs.available(window, now: Date()).upperBound
        while !io.hungUp() {
            let due = logs.available(window, now: Date()).upperBound
            if due > next {
                await io.print((next..<due).map { logs.line($0, in: window) + "\n" }.joined())
                next = due
            }
            // Wake for the next line, or at least every 100 ms to notice a detach.
            let wait = min(logs.time(of: next, in: window).timeIntervalSinceNow, 0.1)
            try? await Task.sleep(for: .milliseconds(max(Int(wait * 1000), 5)))
        }
        return 0
    }
}
