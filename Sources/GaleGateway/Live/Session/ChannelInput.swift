public import NIOCore

/// What a client sends to a running channel, and what the session asks of it.
enum ChannelInput: Sendable {
    /// Bytes for the process's standard input (binary stream 0).
    case stdin(ByteBuffer)
    /// The terminal's new size (`resize` frame or binary stream 4).
    case resize(cols: Int, rows: Int)
    /// The client closed one of its streams (binary stream 255); 0 ends standard input.
    case closeStream(UInt8)
    /// A resuming client missed more than the replay ring holds: a `resync` frame was sent,
    /// and the channel sends a fresh snapshot (watches) or carries on from now (logs, metrics).
    case resync
}

/// The kinds of channel a session runs.
enum ChannelKind: String, Sendable {
    case watch, logs, events, metrics, topology, alerts, exec, upload, download

    /// Whether the channel survives its socket for the resume window. An exec does not: closing
    /// the browser ends the shell. Neither does a file transfer: its bytes are not replayed.
    /// Whether the channel's body takes client input (stdin, resize, upload bytes, resync
    /// requests); input for the others is refused at once.
    var takesInput: Bool {
        switch self {
        case .watch, .topology, .exec, .upload, .download: true
        case .logs, .events, .metrics, .alerts: false
        }
    }

    var isResumable: Bool {
        switch self {
        case .watch, .logs, .events, .metrics, .topology, .alerts: true
        case .exec, .upload, .download: false
        }
    }
}

/// Why a channel ended.
enum ChannelEnd: Sendable {
    /// The stream is over (a log without follow, an exited process); `reason` goes in `unsubscribed`.
    case finished(reason: String?)
    /// The channel failed; an `error` frame with the code precedes `unsubscribed`.
    case failed(APIError)
    /// The client fell too far behind: the socket is closed with 4008 (slow consumer).
    case overflowed
    /// The client unsubscribed or the session closed; nothing more is sent.
    case cancelled
}
