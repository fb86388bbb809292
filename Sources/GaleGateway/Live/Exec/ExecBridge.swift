import KubeClient
import Synchronization

/// Connects one running exec in a container (KubeClient's `ExecSession`) to one client — the
/// terminal socket, or an `exec` channel of a multiplexed session — without knowing either's
/// transport.
///
/// The client side drives it with four calls and one loop:
///
/// ```swift
/// let bridge = try await ExecBridge.open(client: client, target: target)
/// // reading side of the client, in its own task:
/// try await bridge.stdin(bytes); try await bridge.resize(cols: 120, rows: 40); await bridge.close()
/// // writing side:
/// let ending = try await bridge.pump { stream, bytes in await send(stream, bytes) }
/// ```
///
/// Backpressure is end to end: ``pump(output:)`` reads the next upstream chunk only after the
/// sink returned for the previous one, and the upstream connection reads from the apiserver only
/// while at most `KubeClient.Configuration.execOutputWindow` chunks wait unread, so a client that
/// does not read stops the command's output instead of growing memory. In the other direction
/// ``stdin(_:)`` returns once the bytes are written upstream, so a reader that awaits it stops
/// reading its client while the upstream is congested.
///
/// A bridge with neither input nor output for ``Configuration/idleTimeout`` closes itself.
final class ExecBridge: Sendable {
    /// Settings of a bridge; every field has a default.
    struct Configuration: Sendable {
        /// Close after this long with no stdin, resize or output; `nil` never.
        var idleTimeout: Duration?

        init(idleTimeout: Duration? = .seconds(30 * 60)) {
            self.idleTimeout = idleTimeout
        }
    }

    /// What to run, and where.
    struct Target: Sendable, Hashable {
        var namespace: String
        var pod: String
        /// `nil`: the pod's only (or default) container, as the apiserver chooses.
        var container: String?
        var command: [String]
        /// Allocate a terminal (stderr is then merged into stdout by the container runtime).
        var tty: Bool
        /// Attach stdin; without it the command sees end of input at once.
        var stdin: Bool
        /// Initial terminal size, sent as soon as the exec is open (with `tty` only).
        var cols: Int?
        var rows: Int?

        init(
            namespace: String, pod: String, container: String? = nil, command: [String], tty: Bool,
            stdin: Bool = true, cols: Int? = nil, rows: Int? = nil
        ) {
            self.namespace = namespace
            self.pod = pod
            self.container = container
            self.command = command
            self.tty = tty
            self.stdin = stdin
            self.cols = cols
            self.rows = rows
        }
    }

    /// How ``pump(output:)`` ended.
    enum Ending: Sendable, Hashable {
        /// The command ended; the exit status is the upstream's channel-3 `Status`.
        case exited(ExecExitStatus)
        /// The bridge closed itself after ``Configuration/idleTimeout`` without activity.
        case idle
        /// ``close()`` was called (the client went away), the sink refused output, or the task
        /// running the pump was cancelled. The command was ended by closing its connection.
        case closed

        /// The exit code when the command ended by itself.
        var exitCode: Int? {
            if case .exited(let status) = self { return status.code }
            return nil
        }
    }

    private struct State {
        var lastActivity: ContinuousClock.Instant
        /// Set by the first close: why the bridge ended.
        var closing: Ending?
        var pumping = false
    }

    let configuration: Configuration
    private let session: ExecSession
    private let state: Mutex<State>

    init(session: ExecSession, configuration: Configuration) {
        self.session = session
        self.configuration = configuration
        self.state = Mutex(State(lastActivity: .now))
    }

    /// Starts `target` through `client` and sends the initial terminal size. Throws `KubeError`
    /// when the apiserver refuses (missing pod or container, pod not running, forbidden) or
    /// cannot be reached.
    static func open(client: KubeClient, target: Target, configuration: Configuration = .init()) async throws
        -> ExecBridge
    {
        let options = ExecOptions(
            command: target.command, container: target.container, stdin: target.stdin, stdout: true,
            stderr: !target.tty, tty: target.tty)
        let session = try await client.exec(namespace: target.namespace, pod: target.pod, options: options)
        let bridge = ExecBridge(session: session, configuration: configuration)
        if target.tty, let cols = target.cols, let rows = target.rows {
            try? await bridge.resize(cols: cols, rows: rows)
        }
        return bridge
    }

    /// Forwards output to `sink` until the command ends or the bridge is closed, and tells how it
    /// ended. `sink` gets the stream (1 stdout, 2 stderr) and the bytes, and returns `false` when
    /// the client can take no more (the bridge then closes). The next chunk is read only after
    /// `sink` returned. Throws `KubeError` when the upstream connection broke or the apiserver
    /// reported a failure other than a non-zero exit. Call it once.
    func pump(output sink: (UInt8, [UInt8]) async -> Bool) async throws -> Ending {
        let first = state.withLock { state in
            defer { state.pumping = true }
            return !state.pumping
        }
        precondition(first, "ExecBridge.pump(output:) called twice")
        return try await withThrowingTaskGroup(of: Void.self) { group in
            if let timeout = configuration.idleTimeout {
                group.addTask { await self.closeWhenIdle(after: timeout) }
            }
            defer { group.cancelAll() }
            var failure: (any Error)?
            do {
                for try await chunk in session.output {
                    touch()
                    guard await sink(chunk.stream.channel, chunk.bytes) else {
                        await end(.closed)
                        return .closed
                    }
                    touch()
                }
            } catch {
                failure = error
            }
            if failure == nil, Task.isCancelled {
                await end(.closed)
                return .closed
            }
            do {
                return .exited(try await session.exitStatus())
            } catch {
                if let ending = state.withLock({ $0.closing }) { return ending }
                throw failure ?? error
            }
        }
    }

    /// The upstream output, for a caller that pulls it (file transfers) instead of calling
    /// ``pump(output:)``: read one or the other. Reading it does not count as activity.
    var output: ExecOutputStream { session.output }

    /// Waits for the command to end: its exit status, or the `KubeError` of a broken connection.
    func exitStatus() async throws -> ExecExitStatus {
        try await session.exitStatus()
    }

    /// Sends `bytes` to the command's stdin; returns once they are written upstream. Throws
    /// `KubeError` when the exec connection is closed.
    func stdin(_ bytes: [UInt8]) async throws {
        touch()
        try await session.write(stdin: bytes)
    }

    /// Resizes the command's terminal (ignored by the apiserver without `tty`).
    func resize(cols: Int, rows: Int) async throws {
        touch()
        try await session.resize(cols: cols, rows: rows)
    }

    /// Ends the command's stdin (`cat` and friends finish). Over `v4.channel.k8s.io`, which has
    /// no signal for it, this closes the whole exec, and ``pump(output:)`` answers ``Ending/closed``.
    func closeStdin() async throws {
        guard session.supportsStdinClose else {
            await end(.closed)
            return
        }
        try await session.closeStdin()
    }

    /// Ends the exec (its connection closes, which ends the command); ``pump(output:)`` returns
    /// ``Ending/closed`` unless the command had already ended. Safe to call more than once.
    func close() async {
        await end(.closed)
    }

    private func end(_ ending: Ending) async {
        let first = state.withLock { state in
            guard state.closing == nil else { return false }
            state.closing = ending
            return true
        }
        // In a task of its own: when the caller was cancelled (the client went away), a write
        // from its task would fail at once and the close frame would never reach the apiserver.
        if first { await Task { [session] in try? await session.close() }.value }
    }

    private func touch() {
        state.withLock { $0.lastActivity = .now }
    }

    /// Sleeps until `timeout` passed since the last activity, then closes the bridge.
    private func closeWhenIdle(after timeout: Duration) async {
        while !Task.isCancelled {
            let deadline = state.withLock { $0.lastActivity } + timeout
            if ContinuousClock.now >= deadline {
                await end(.idle)
                return
            }
            try? await Task.sleep(until: deadline)
        }
    }
}
