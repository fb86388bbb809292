import GaleJSON
import NIOCore
import NIOWebSocket
import Synchronization

/// One client of the reconnect storm: its session and watch channel from the first socket, then,
/// on the second, when its session came back and which of the missed events arrived.
final class StormClient: Sendable {
    private struct State {
        var resuming = false
        var session: String?
        var channel: UInt32?
        var lastSeq: UInt64 = 0
        var synced = false
        var missed = 0
        var hellos = 0
        var resumedAt: UInt64?
        var caughtUpAt: UInt64?
        var gotNewSession = false
        var seen: Set<UInt64> = []
        var duplicates = 0
    }

    private let state = Mutex(State())

    var isSynced: Bool { state.withLock { $0.synced } }
    var isCaughtUp: Bool { state.withLock { $0.caughtUpAt != nil || $0.gotNewSession } }
    var resumedAt: UInt64? { state.withLock { $0.resumedAt } }
    var caughtUpAt: UInt64? { state.withLock { $0.caughtUpAt } }
    var gotNewSession: Bool { state.withLock { $0.gotNewSession } }
    var missedReceived: Int { state.withLock { $0.seen.count } }
    var duplicates: Int { state.withLock { $0.duplicates } }

    /// The first socket is open: watch the collection.
    func onFirstSocket(_ socket: LoadSocket, subscribe: String) {
        socket.send(text: subscribe)
    }

    /// From now on messages belong to the second socket, which expects `missed` events.
    func prepareToResume(missed: Int) {
        state.withLock { state in
            state.resuming = true
            state.missed = missed
        }
    }

    /// The second socket is open: take the session back, naming the last `seq` seen.
    func onSecondSocket(_ socket: LoadSocket) {
        let frame: String? = state.withLock { state in
            guard let session = state.session, let channel = state.channel else { return nil }
            let hello: JSONValue = [
                "type": "hello", "session": .string(session),
                "lastSeq": .object([String(channel): .int(Int64(state.lastSeq))]),
            ]
            return hello.jsonString
        }
        if let frame { socket.send(text: frame) }
    }

    /// Called on the socket's event loop for every message.
    func received(_ message: LoadSocket.Message) {
        guard message.opcode == .text, let frame = try? JSONValue(parsing: message.data.readableBytesView) else { return }
        let now = Monotonic.nanoseconds()
        state.withLock { state in
            switch frame["type"]?.stringValue {
            case "hello":
                guard let session = frame["session"]?.stringValue else { return }
                if !state.resuming {
                    state.session = session
                    return
                }
                state.hellos += 1
                if session == state.session {
                    state.resumedAt = state.resumedAt ?? now
                } else if state.hellos >= 2 {
                    state.gotNewSession = true  // not resumable: the gateway started a new one
                }
            case "subscribed":
                state.channel = frame["channel"]?.intValue.map { UInt32($0) }
            case "synced" where !state.resuming:
                state.lastSeq = frame["seq"]?.intValue.map { UInt64($0) } ?? state.lastSeq
                state.synced = true
            case "event":
                guard let seq = frame["seq"]?.intValue.map({ UInt64($0) }) else { return }
                guard state.resuming else {
                    state.lastSeq = max(state.lastSeq, seq)
                    return
                }
                if seq <= state.lastSeq || state.seen.contains(seq) {
                    state.duplicates += 1
                    return
                }
                state.seen.insert(seq)
                if state.seen.count >= state.missed, state.caughtUpAt == nil { state.caughtUpAt = now }
            default:
                break
            }
        }
    }
}
