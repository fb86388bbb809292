import GaleJSON
import GaleProtocol
import NIOCore

/// What a channel's body writes through: numbered items with replay, stream bytes, state.
///
/// The `async` writers wait while the socket's queue is full, which is how a slow client slows
/// its own channels (and, through them, their upstreams) without slowing anyone else. While the
/// session has no socket they do not wait: items go to the replay ring only.
struct ChannelContext: Sendable {
    /// The channel number.
    let channel: UInt32
    let session: LiveSession

    /// Sends one `event` item. Returns `false` when the channel is closed (stop producing).
    func event(_ event: String, _ fields: [String: JSONValue]) async -> Bool {
        if let queue = session.queue { _ = await queue.waitForRoom() }
        guard !Task.isCancelled, let seq = session.nextSeq(channel) else { return false }
        // As members, like the fan-out path, so that items written together can share a frame.
        var members = fields
        for key in ["type", "channel", "seq"] { members[key] = nil }
        members["event"] = .string(event)
        let text = JSONValue.object(members).jsonString
        return session.write(EncodedMembers(String(text.dropFirst().dropLast())), channel: channel, seq: seq)
    }

    /// Sends one `event` item whose members other than `type`, `channel` and `seq` are already
    /// encoded (`"event":…,"object":…`): the fan-out path, where one change goes to many channels
    /// and its members are encoded (and compressed, where sockets allow) once for all of them.
    func event(_ members: EncodedMembers) async -> Bool {
        if let queue = session.queue { _ = await queue.waitForRoom() }
        guard !Task.isCancelled, let seq = session.nextSeq(channel) else { return false }
        return session.write(members, channel: channel, seq: seq)
    }

    /// Sends `synced`: the snapshot is complete (its last item had the current `seq`).
    @discardableResult
    func synced(resourceVersion: String?) -> Bool {
        guard let seq = session.currentSeq(channel) else { return false }
        let text = ServerFrame.synced(channel: channel, seq: seq, resourceVersion: resourceVersion).text
        return session.write(text, channel: channel, seq: seq, isEvent: false)
    }

    /// Sends `resync`: what follows replaces the client's view of the channel.
    @discardableResult
    func resync(reason: String) -> Bool {
        guard let seq = session.currentSeq(channel) else { return false }
        return session.write(
            ServerFrame.resync(channel: channel, reason: reason).text, channel: channel, seq: seq, isEvent: false)
    }

    /// Reports the state of the cluster connection behind this channel (deduplicated per session).
    func status(cluster: String, state: String, reason: String?) {
        session.status(.status(cluster: cluster, state: state, reason: reason), cluster: cluster)
    }

    /// Sends stream bytes `[channel][stream][payload]` (exec output). Returns `false` when closed.
    func binary(stream: UInt8, _ payload: some Collection<UInt8>) async -> Bool {
        if let queue = session.queue { _ = await queue.waitForRoom() }
        guard !Task.isCancelled else { return false }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(StreamFrame.headerSize + payload.count)
        buffer.writeInteger(channel, endianness: .big)
        buffer.writeInteger(stream)
        buffer.writeBytes(payload)
        return session.writeBinary(buffer, channel: channel)
    }

    /// Sends a frame that belongs to the channel but carries no `seq` (`exited`).
    @discardableResult
    func send(_ frame: ServerFrame) -> Bool {
        session.write(frame.text, channel: channel, seq: nil, isEvent: false)
    }

    /// Lets the channel receive client input (stdin, resize) and resync requests. The reader of
    /// the socket awaits `handler`, so it should return quickly unless it means to hold the client
    /// back (an upload waits for its bytes to go upstream).
    func onInput(_ handler: @escaping @Sendable (ChannelInput) async -> Void) {
        session.setControl(channel, handler)
    }
}
