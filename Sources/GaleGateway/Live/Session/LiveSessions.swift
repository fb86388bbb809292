import Synchronization

/// The live sessions of this gateway, by id, so that a reconnecting client can take its
/// session back within the resume window.
///
/// Sessions without a socket are swept once the window has passed (their channels end);
/// ``sweep()`` runs on a timer from the ``SessionRegistry`` service.
final class LiveSessions: Sendable {
    /// How long a session without a socket is kept for its client to resume it.
    let resumeWindow: Duration
    /// Most sessions kept without a socket; past it the longest-detached go first.
    let maxDetached: Int
    /// Most replay bytes the sessions without a socket may hold together; past it the
    /// longest-detached go first.
    let maxDetachedBytes: Int
    private let sessions = Mutex<[String: LiveSession]>([:])
    /// Whether a sweep asked for by ``sweepSoon()`` has not run yet.
    private let sweepPending = Atomic<Bool>(false)

    init(resumeWindow: Duration, maxDetached: Int = 1000, maxDetachedBytes: Int = 256 << 20) {
        self.resumeWindow = resumeWindow
        self.maxDetached = maxDetached
        self.maxDetachedBytes = maxDetachedBytes
    }

    convenience init(resumeWindow: Duration, security: WebSocketSecurity) {
        self.init(
            resumeWindow: resumeWindow, maxDetached: security.maxDetachedSessions,
            maxDetachedBytes: security.maxDetachedBytes)
    }

    /// Number of sessions kept, with or without a socket.
    var count: Int { sessions.withLock { $0.count } }

    func add(_ session: LiveSession) {
        sessions.withLock { $0[session.id] = session }
    }

    /// The session `id` if it exists and `principal` may resume it: only its own subject may
    /// (the resumed session then takes the new token's role and scope). Any other answer is `nil`, as for a session that does not exist.
    func resumable(_ id: String, by principal: Principal) -> LiveSession? {
        sessions.withLock { sessions in
            guard let session = sessions[id], session.principal.subject == principal.subject else { return nil }
            return session
        }
    }

    /// The session `id`, whoever it belongs to (for the gateway itself, never for a client).
    func session(_ id: String) -> LiveSession? { sessions.withLock { $0[id] } }

    /// Every session, attached or detached (for the metrics).
    var all: [LiveSession] { sessions.withLock { Array($0.values) } }

    /// Ends and forgets a session.
    func remove(_ session: LiveSession) {
        sessions.withLock { $0[session.id] = nil }
        session.close()
    }

    /// Ends the sessions detached for longer than the window, and the longest-detached ones while
    /// the detached sessions are more than ``maxDetached`` or hold more than ``maxDetachedBytes``.
    func sweep() {
        let expired: [LiveSession] = sessions.withLock { sessions in
            var detached = sessions.values.compactMap { session in session.detachedFor.map { (session, $0) } }
            var expired = detached.filter { $0.1 > resumeWindow }.map(\.0)
            detached = detached.filter { $0.1 <= resumeWindow }.sorted { $0.1 > $1.1 }
            var bytes = detached.reduce(0) { $0 + $1.0.replayBytes }
            var first = 0
            while first < detached.count, detached.count - first > maxDetached || bytes > maxDetachedBytes {
                expired.append(detached[first].0)
                bytes -= detached[first].0.replayBytes
                first += 1
            }
            for session in expired { sessions[session.id] = nil }
            return expired
        }
        for session in expired { session.close() }
    }

    /// Sweeps shortly, once for every socket that closed meanwhile: when thousands of sockets
    /// drop at once, one sweep serves them all instead of each scanning every session.
    func sweepSoon(after delay: Duration = .milliseconds(50)) {
        guard sweepPending.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        Task {
            try? await Task.sleep(for: delay)
            self.sweepPending.store(false, ordering: .releasing)
            self.sweep()
        }
    }

    /// Ends every session (shutdown).
    func closeAll() {
        let all = sessions.withLock { sessions in
            defer { sessions.removeAll() }
            return Array(sessions.values)
        }
        for session in all { session.close() }
    }
}
