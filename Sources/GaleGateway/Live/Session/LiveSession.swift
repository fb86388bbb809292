import Foundation
import GaleJSON
import GaleProtocol
import NIOCore
import Synchronization

/// The part of a client session that outlives its socket: the open channels, their sequence
/// numbers and replay rings, and the socket they currently write to.
///
/// A socket attaches a live session when it opens (a new one, or the one a resuming client
/// names in its `hello`) and detaches it when it closes. While detached, resumable channels
/// keep running and their frames go to the rings only; exec channels end at once. A client that
/// reconnects within the resume window gets exactly the frames it missed, or `resync` and a fresh
/// snapshot for a channel whose gap left its ring.
///
/// Each channel has one producer task (its body), which is what keeps its `seq` in order.
final class LiveSession: Sendable {
    /// The session id sent in `hello`.
    let id: String
    /// The subject the session belongs to; only it may resume the session.
    let subject: String
    private let replay: ReplayLimits
    /// Per-subject counts of channels, log streams and exec sessions; `nil`: not counted.
    let quotas: SubjectQuotas?
    private let state: Mutex<State>

    /// Frames a channel keeps for replay.
    struct ReplayLimits: Sendable {
        var frames: Int
        var bytes: Int
    }

    private struct Channel {
        let kind: ChannelKind
        /// The cluster the channel reads, when it reads one: a resume by a token that may not
        /// see it closes the channel.
        let cluster: String?
        /// The role of the principal that opened it: a resume with a lower role closes it.
        let role: Role
        /// Quota slots held while the channel is kept (given back when it is dropped).
        let leases: [SubjectQuotas.Lease]
        var seq: UInt64 = 0
        var ring: ReplayRing
        var task: Task<Void, Never>?
        var control: (@Sendable (ChannelInput) async -> Void)?
        /// Set when the body has ended and `unsubscribed` was recorded; kept for a resume.
        var ended = false
        /// Whether the subscription asked for its items in `events` batches.
        var batch = false
    }

    private struct State {
        /// The principal of the socket that attached last: a resume takes the new token's identity.
        var principal: Principal
        var channels: [UInt32: Channel] = [:]
        var nextChannel: UInt32 = 1
        var queue: OutboundQueue?
        var closed = false
        /// Client input that arrived for a channel whose body has not yet said how to take it
        /// (`opened` goes out before the body runs): its deliverers wait here, in order.
        var inputWaiters: [UInt32: [CheckedContinuation<Void, Never>]] = [:]
        var detachedSince: ContinuousClock.Instant? = .now
        /// The last `status` sent per cluster, so that channels sharing a cluster do not repeat it
        /// and a resumed client learns the current state.
        var lastStatus: [String: ServerFrame] = [:]
        /// Called when a channel overflows: the socket must be closed with 4008.
        var onOverflow: (@Sendable () -> Void)?
    }

    init(principal: Principal, replay: ReplayLimits, quotas: SubjectQuotas? = nil) {
        self.id = Self.makeID()
        self.subject = principal.subject
        self.replay = replay
        self.quotas = quotas
        self.state = Mutex(State(principal: principal))
    }

    /// Whose session this is now: the principal of the socket that attached it last.
    var principal: Principal { state.withLock { $0.principal } }

    /// The sequence number of the last frame `channel` produced (kept for replay while detached).
    func lastSeq(of channel: UInt32) -> UInt64? { state.withLock { $0.channels[channel]?.seq } }

    /// Bytes the replay rings hold.
    var replayBytes: Int { state.withLock { $0.channels.values.reduce(0) { $0 + $1.ring.byteCount } } }

    // MARK: Sockets

    /// Makes `queue` the socket of this session. With `resume`, first queues everything each
    /// listed channel missed (or `resync` for those that cannot be replayed) and closes the
    /// channels the client did not list. With `principal` (a resume), the session takes that
    /// identity and scope: channels it may not see are closed with `error` 1005.
    func attach(_ queue: OutboundQueue, hello: ServerFrame, resume lastSeq: [UInt32: UInt64]? = nil,
                principal: Principal? = nil, onOverflow: @escaping @Sendable () -> Void) async {
        var resyncs: [@Sendable (ChannelInput) async -> Void] = []
        var cancelled: [Task<Void, Never>] = []
        state.withLock { state in
            state.queue = queue
            state.detachedSince = nil
            state.onOverflow = onOverflow
            if let principal { state.principal = principal }
            queue.enqueue(.text(hello.text))
            guard let lastSeq else { return }
            for number in state.channels.keys.sorted() {
                guard var channel = state.channels[number] else { continue }
                if !Self.may(state.principal, see: channel) {
                    if let task = channel.task { cancelled.append(task) }
                    if !channel.ended {
                        let refusal = APIError.forbidden("the new token may not see this channel's cluster")
                        queue.enqueue(.text(ServerFrame.error(
                            id: nil, channel: number, code: refusal.code, msg: refusal.message).text))
                        queue.enqueue(.text(ServerFrame.unsubscribed(channel: number, reason: refusal.message).text))
                    }
                    state.channels[number] = nil
                } else if let seen = lastSeq[number] {
                    if let frames = channel.ring.frames(after: seen, current: channel.seq) {
                        for text in frames { queue.enqueue(.text(text)) }
                    } else if !channel.ended {
                        let text = ServerFrame.resync(channel: number, reason: "the gap is older than the replay window").text
                        channel.ring.append(text: text, seq: channel.seq, isEvent: false)
                        queue.enqueue(.text(text))
                        if let control = channel.control { resyncs.append(control) }
                    } else {
                        queue.enqueue(.text(ServerFrame.unsubscribed(channel: number, reason: "ended").text))
                    }
                    if channel.ended { state.channels[number] = nil } else { state.channels[number] = channel }
                } else {
                    if let task = channel.task { cancelled.append(task) }
                    if !channel.ended {
                        queue.enqueue(.text(ServerFrame.unsubscribed(channel: number, reason: "not resumed").text))
                    }
                    state.channels[number] = nil
                }
            }
            for frame in state.lastStatus.keys.sorted().compactMap({ state.lastStatus[$0] }) {
                queue.enqueue(.text(frame.text))
            }
        }
        for task in cancelled { task.cancel() }
        for control in resyncs { await control(.resync) }
    }

    /// Whether `principal` may keep `channel`: its cluster in scope, and a role at least the
    /// one it was opened with.
    private static func may(_ principal: Principal, see channel: Channel) -> Bool {
        // A channel over several clusters names them all (`1,2`): each must be in scope.
        if let cluster = channel.cluster,
            !cluster.split(separator: ",").allSatisfy({ principal.canAccess(cluster: String($0)) })
        {
            return false
        }
        return principal.role >= channel.role
    }

    /// The socket behind `queue` closed: resumable channels carry on into their rings, exec
    /// channels end.
    func detach(_ queue: OutboundQueue) {
        let ending: [Task<Void, Never>] = state.withLock { state in
            guard state.queue === queue else { return [] }
            state.queue = nil
            state.onOverflow = nil
            state.detachedSince = .now
            var ending: [Task<Void, Never>] = []
            for (number, channel) in state.channels where !channel.kind.isResumable {
                if let task = channel.task { ending.append(task) }
                state.channels[number] = nil
            }
            return ending
        }
        for task in ending { task.cancel() }
    }

    /// How long the session has had no socket; `nil` while one is attached.
    var detachedFor: Duration? {
        state.withLock { state in state.detachedSince.map { ContinuousClock.now - $0 } }
    }

    /// Whether `queue` is the session's current socket.
    func isAttached(to queue: OutboundQueue) -> Bool { state.withLock { $0.queue === queue } }

    /// Whether any channel is open.
    var hasChannels: Bool { state.withLock { !$0.channels.isEmpty } }

    /// Channels open and not ended (for the metrics).
    var openChannelCount: Int { state.withLock { $0.channels.values.count(where: { !$0.ended }) } }

    /// Ends every channel; the session cannot be used again.
    func close() {
        let tasks: [Task<Void, Never>] = state.withLock { state in
            state.closed = true
            state.queue = nil
            let tasks = state.channels.values.compactMap(\.task)
            state.channels.removeAll()
            return tasks
        }
        for task in tasks { task.cancel() }
    }

    // MARK: Channels

    /// Opens a channel: sends `opening(channel)` (the `subscribed` or `opened` frame) and runs
    /// `body` in its own task. With `batch`, its items written together go out as `events` frames. When the body returns, its ``ChannelEnd`` is reported to the client.
    /// Returns `nil` when the session is closed, the channel limit is reached, or the subject is
    /// at one of its quotas (``refusal(opening:maxChannels:)`` says which).
    @discardableResult
    func open(
        _ kind: ChannelKind,
        cluster: String? = nil,
        maxChannels: Int,
        batch: Bool = false,
        opening: (UInt32) -> ServerFrame,
        body: @escaping @Sendable (ChannelContext) async -> ChannelEnd
    ) -> UInt32? {
        guard let leases = leases(for: kind) else { return nil }
        return state.withLock { state -> UInt32? in
            guard !state.closed, state.channels.values.filter({ !$0.ended }).count < maxChannels else { return nil }
            var number = state.nextChannel
            while state.channels[number] != nil { number = number == .max ? 1 : number + 1 }
            state.nextChannel = number == .max ? 1 : number + 1
            var channel = Channel(
                kind: kind, cluster: cluster, role: state.principal.role, leases: leases,
                ring: ReplayRing(channel: number, maxFrames: replay.frames, maxBytes: replay.bytes))
            channel.batch = batch
            state.queue?.enqueue(.text(opening(number).text))
            let context = ChannelContext(channel: number, session: self)
            channel.task = Task { await self.finish(number, body(context)) }
            state.channels[number] = channel
            return number
        }
    }

    /// Lets a channel receive client input and resync requests.
    func setControl(_ channel: UInt32, _ control: @escaping @Sendable (ChannelInput) async -> Void) {
        let waiters = state.withLock { state in
            state.channels[channel]?.control = control
            return state.inputWaiters.removeValue(forKey: channel) ?? []
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Passes client input to `channel`, returning once the channel took it (an upload: once the
    /// bytes are upstream, which is how an upload's client is slowed to its container's pace);
    /// `false` when no such channel is open.
    ///
    /// Input may arrive right behind `opened`, before the channel's body has registered its
    /// handler: it then waits for the handler (or the end of the channel), so a client may write
    /// to a channel as soon as it is opened.
    func deliver(_ input: ChannelInput, to channel: UInt32) async -> Bool {
        enum Route {
            case closed
            case ready(@Sendable (ChannelInput) async -> Void)
            case waitForHandler
        }
        func route() -> Route {
            state.withLock { state in
                guard let open = state.channels[channel], !open.ended, open.kind.takesInput else { return .closed }
                return open.control.map(Route.ready) ?? .waitForHandler
            }
        }
        var next = route()
        if case .waitForHandler = next {
            await withCheckedContinuation { waiter in
                let waiting = state.withLock { state in
                    guard let open = state.channels[channel], !open.ended, open.control == nil else { return false }
                    state.inputWaiters[channel, default: []].append(waiter)
                    return true
                }
                if !waiting { waiter.resume() }
            }
            next = route()
        }
        guard case .ready(let control) = next else { return false }
        await control(input)
        return true
    }

    /// Closes a channel at the client's request; `false` when no such channel is open.
    func unsubscribe(_ channel: UInt32) -> Bool {
        let task: Task<Void, Never>?? = state.withLock { state in
            guard let open = state.channels[channel], !open.ended else { return .none }
            state.channels[channel] = nil
            state.queue?.enqueue(.text(ServerFrame.unsubscribed(channel: channel, reason: "unsubscribed").text))
            return .some(open.task)
        }
        guard let task else { return false }
        task?.cancel()
        return true
    }

    /// Records the end of a channel's body and tells the client.
    private func finish(_ channel: UInt32, _ end: ChannelEnd) {
        var waiters: [CheckedContinuation<Void, Never>] = []
        defer {
            // Whoever waited to give this channel input learns that it will not take it.
            for waiter in waiters { waiter.resume() }
        }
        let overflow: (@Sendable () -> Void)? = state.withLock { state in
            // Taken in the same lock that ends the channel, so no deliverer can start waiting after.
            waiters = state.inputWaiters.removeValue(forKey: channel) ?? []
            guard var open = state.channels[channel], !open.ended else { return nil }
            var frames: [ServerFrame] = []
            switch end {
            case .cancelled:
                state.channels[channel] = nil
                return nil
            case .overflowed:
                state.channels[channel] = nil
                return state.onOverflow
            case .failed(let error):
                frames = [
                    .error(id: nil, channel: channel, code: error.code, msg: error.message),
                    .unsubscribed(channel: channel, reason: error.message),
                ]
            case .finished(let reason):
                frames = [.unsubscribed(channel: channel, reason: reason)]
            }
            for frame in frames {
                let text = frame.text
                if open.kind.isResumable { open.ring.append(text: text, seq: open.seq, isEvent: false) }
                state.queue?.enqueue(.text(text))
            }
            open.ended = true
            open.task = nil
            open.control = nil
            if state.queue != nil || !open.kind.isResumable {
                state.channels[channel] = nil
            } else {
                state.channels[channel] = open
            }
            return nil
        }
        overflow?()
    }

    // MARK: Writing (called through ChannelContext)

    /// The socket queue frames currently go to.
    var queue: OutboundQueue? { state.withLock { $0.queue } }

    /// Takes the next `seq` of a channel; `nil` when it is closed.
    func nextSeq(_ channel: UInt32) -> UInt64? {
        state.withLock { state in
            guard let index = state.channels.index(forKey: channel), !state.channels.values[index].ended else {
                return nil
            }
            state.channels.values[index].seq += 1
            return state.channels.values[index].seq
        }
    }

    /// The `seq` of the last event of a channel.
    func currentSeq(_ channel: UInt32) -> UInt64? { state.withLock { $0.channels[channel]?.seq } }

    /// Records a frame of `channel` for replay (when `seq` is given) and queues it to the socket.
    /// Returns `false` when the channel is closed.
    func write(_ text: String, channel: UInt32, seq: UInt64?, isEvent: Bool) -> Bool {
        state.withLock { state in
            // In place: a copy of the channel out of the dictionary and back would copy its ring.
            guard let index = state.channels.index(forKey: channel), !state.channels.values[index].ended else {
                return false
            }
            if state.channels.values[index].kind.isResumable {
                let current = state.channels.values[index].seq
                state.channels.values[index].ring.append(text: text, seq: seq ?? current, isEvent: isEvent)
            }
            state.queue?.enqueue(.text(text))
            return true
        }
    }

    /// Records event `seq` of `channel`, whose members are shared with the other channels of the
    /// same change, for replay (by reference) and queues it to the socket as a shared event frame.
    /// Returns `false` when the channel is closed.
    func write(_ members: EncodedMembers, channel: UInt32, seq: UInt64) -> Bool {
        state.withLock { state in
            guard let index = state.channels.index(forKey: channel), !state.channels.values[index].ended else {
                return false
            }
            if state.channels.values[index].kind.isResumable {
                state.channels.values[index].ring.append(members: members, seq: seq)
            }
            if let queue = state.queue {
                let batch = state.channels.values[index].batch
                queue.enqueue(.event(channel: channel, seq: seq, members: members, batch: batch))
            }
            return true
        }
    }

    /// Queues binary stream bytes of `channel` (never replayed). Returns `false` when it is closed.
    func writeBinary(_ buffer: ByteBuffer, channel: UInt32) -> Bool {
        state.withLock { state in
            guard let open = state.channels[channel], !open.ended, let queue = state.queue else { return false }
            return queue.enqueue(.binary(buffer))
        }
    }

    /// Queues a `status` frame unless the same state of that cluster was the last one sent.
    func status(_ frame: ServerFrame, cluster: String) {
        state.withLock { state in
            guard state.lastStatus[cluster] != frame else { return }
            if state.lastStatus[cluster] == nil, case .status(_, "connected", _) = frame {
                // A first "connected" says nothing a subscriber does not already know.
                state.lastStatus[cluster] = frame
                return
            }
            state.lastStatus[cluster] = frame
            state.queue?.enqueue(.text(frame.text))
        }
    }

    private static func makeID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
