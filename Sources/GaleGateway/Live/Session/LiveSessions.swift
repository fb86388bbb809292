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
    private let sessions = Mutex<[String: LiveSession]>([:])

    init(resumeWindow: Duration, maxDetached: Int = 10_000) {
        self.resumeWindow = resumeWindow
        self.maxDetached = maxDetached
    }

    /// Number of sessions kept, with or without a socket.
    var count: Int { sessions.withLock { $0.count } }

    func add(_ session: LiveSession) {
        sessions.withLock { $0[session.id] = session }
    }

    /// The session `id` if it exists and `principal` may resume it (same subject and role).
    func resumable(_ id: String, by principal: Principal) -> LiveSession? {
        sessions.withLock { sessions in
            guard let session = sessions[id], session.principal.subject == principal.subject,
                session.principal.role == principal.role
            else { return nil }
            return session
        }
    }

    /// Ends and forgets a session.
    func remove(_ session: LiveSession) {
        sessions.withLock { $0[session.id] = nil }
        session.close()
    }

    /// Ends the sessions detached for longer than the window (and the oldest detached ones past
    /// the bound).
    func sweep() {
        let expired: [LiveSession] = sessions.withLock { sessions in
            var detached = sessions.values.compactMap { session in session.detachedFor.map { (session, $0) } }
            var expired = detached.filter { $0.1 > resumeWindow }.map(\.0)
            detached = detached.filter { $0.1 <= resumeWindow }.sorted { $0.1 > $1.1 }
            if detached.count > maxDetached { expired += detached.prefix(detached.count - maxDetached).map(\.0) }
            for session in expired { sessions[session.id] = nil }
            return expired
        }
        for session in expired { session.close() }
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
