import Synchronization

/// What the exec endpoint is doing: sessions open now and output bytes written so far, so that
/// tests can see an exec end when its client goes away, and its output stall under backpressure.
final class ExecActivity: Sendable {
    private let state = Mutex((open: 0, outputBytes: 0))

    /// A session started.
    func opened() { state.withLock { $0.open += 1 } }

    /// A session ended (its command returned and its socket closed).
    func closed() { state.withLock { $0.open -= 1 } }

    /// `count` bytes of output went out on a session's socket.
    func wrote(_ count: Int) { state.withLock { $0.outputBytes += count } }

    /// Sessions open now.
    var open: Int { state.withLock { $0.open } }

    /// Output bytes written by every session since the server was created.
    var outputBytes: Int { state.withLock { $0.outputBytes } }
}
