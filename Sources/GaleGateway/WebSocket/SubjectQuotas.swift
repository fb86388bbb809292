import GaleProtocol
import Synchronization

/// How much each subject holds open — sockets, channels, log streams, exec sessions — and how
/// many sockets the gateway has, against the limits of ``WebSocketSecurity``.
///
/// A caller takes a ``Lease`` before it opens something and keeps it while the thing is open;
/// the count goes down when the lease is released or dropped, so no path can leak a slot.
final class SubjectQuotas: Sendable {
    /// What is counted.
    enum Resource: Sendable, Hashable {
        case socket, channel, logStream, exec
    }

    /// Why a lease was refused.
    enum Refusal: Error, Equatable {
        /// The subject holds its maximum of the resource.
        case subject(Resource, limit: Int)
        /// The gateway holds its maximum of sockets.
        case gateway(limit: Int)

        /// The error the client is told (code 1001: it asked for more than it may have).
        var apiError: APIError {
            switch self {
            case .subject(let resource, let limit):
                .invalidArgument("too many open \(resource.plural) for this user (at most \(limit))")
            case .gateway:
                .invalidArgument("the gateway has too many open sockets; try again later")
            }
        }

        /// The close code of a socket refused for this reason: 1008 when the user is over its
        /// quota, 1013 (try again later) when the gateway is full.
        var closeCode: UInt16 {
            switch self {
            case .subject: CloseCode.policyViolation
            case .gateway: CloseCode.tryAgainLater
            }
        }
    }

    /// One counted slot, given back by ``release()`` or when the lease is dropped.
    final class Lease: Sendable {
        private let give: Mutex<(@Sendable () -> Void)?>

        fileprivate init(_ give: @escaping @Sendable () -> Void) {
            self.give = Mutex(give)
        }

        /// Gives the slot back; later calls do nothing.
        func release() {
            let give = self.give.withLock { give in
                defer { give = nil }
                return give
            }
            give?()
        }

        deinit { release() }
    }

    private struct Key: Hashable {
        let resource: Resource
        let subject: String
    }

    private struct State {
        var counts: [Key: Int] = [:]
        var sockets = 0
    }

    let limits: WebSocketSecurity
    private let state = Mutex(State())

    init(limits: WebSocketSecurity) {
        self.limits = limits
    }

    /// Takes a slot of `resource` for `subject`, or says why not.
    func acquire(_ resource: Resource, subject: String) -> Result<Lease, Refusal> {
        let limit = self.limit(of: resource)
        let total = limits.maxSockets
        let key = Key(resource: resource, subject: subject)
        let refusal: Refusal? = state.withLock { state in
            if resource == .socket, state.sockets >= total { return .gateway(limit: total) }
            let held = state.counts[key, default: 0]
            guard held < limit else { return .subject(resource, limit: limit) }
            state.counts[key] = held + 1
            if resource == .socket { state.sockets += 1 }
            return nil
        }
        if let refusal { return .failure(refusal) }
        return .success(Lease { [weak self] in self?.give(key) })
    }

    /// Slots of `resource` that `subject` holds.
    func held(_ resource: Resource, subject: String) -> Int {
        state.withLock { $0.counts[Key(resource: resource, subject: subject), default: 0] }
    }

    /// Sockets open on the gateway.
    var sockets: Int { state.withLock { $0.sockets } }

    private func give(_ key: Key) {
        state.withLock { state in
            let held = state.counts[key, default: 0] - 1
            state.counts[key] = held > 0 ? held : nil
            if key.resource == .socket { state.sockets -= 1 }
        }
    }

    /// The per-subject limit of `resource`.
    func limit(of resource: Resource) -> Int {
        switch resource {
        case .socket: limits.maxSocketsPerSubject
        case .channel: limits.maxChannelsPerSubject
        case .logStream: limits.maxLogStreamsPerSubject
        case .exec: limits.maxExecsPerSubject
        }
    }
}

extension SubjectQuotas.Resource {
    fileprivate var plural: String {
        switch self {
        case .socket: "sockets"
        case .channel: "channels"
        case .logStream: "log streams"
        case .exec: "exec sessions"
        }
    }
}
