import NIOCore
import NIOWebSocket

/// A running `exec` in a container over WebSocket (`v5.channel.k8s.io` or `v4.channel.k8s.io`).
///
/// Read ``output`` for stdout/stderr, write stdin with ``write(stdin:)``, resize the terminal with
/// ``resize(cols:rows:)``, and await ``exitStatus()`` for the exit code from the channel-3 `Status`.
public final class ExecSession: Sendable {
    /// Which stream a chunk of output came from.
    public struct Stream: Sendable, Hashable, CustomStringConvertible {
        /// The Kubernetes channel number (1 stdout, 2 stderr).
        public let channel: UInt8
        /// Standard output (channel 1).
        public static var stdout: Self { .init(channel: 1) }
        /// Standard error (channel 2).
        public static var stderr: Self { .init(channel: 2) }
        public var description: String { channel == 1 ? "stdout" : channel == 2 ? "stderr" : "channel \(channel)" }
    }

    /// A chunk of output.
    public struct Output: Sendable, Hashable {
        /// The stream it came from.
        public var stream: Stream
        /// The bytes.
        public var bytes: [UInt8]
    }

    /// The subprotocol the server chose (`v5.channel.k8s.io` or `v4.channel.k8s.io`).
    public let subprotocol: String
    /// Output chunks in arrival order; ends when the command ends or the connection closes. Read it:
    /// while it is not read, the connection stops reading (see ``ExecOutputStream``).
    public let output: ExecOutputStream
    private let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    private let finished: Task<ExecExitStatus, any Error>

    init(
        subprotocol: String,
        output: ExecOutputStream,
        outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>,
        finished: Task<ExecExitStatus, any Error>
    ) {
        self.subprotocol = subprotocol
        self.output = output
        self.outbound = outbound
        self.finished = finished
    }

    /// Whether the server speaks v5, which adds the close signal (channel 255) for stdin.
    public var supportsStdinClose: Bool { subprotocol == KubeClient.execSubprotocolV5 }

    /// Sends bytes to the command's standard input (channel 0).
    public func write(stdin bytes: [UInt8]) async throws {
        try await send(channel: 0, bytes)
    }

    /// Resizes the terminal (channel 4, `{"Width":cols,"Height":rows}`).
    public func resize(cols: Int, rows: Int) async throws {
        try await send(channel: 4, Array(#"{"Width":\#(cols),"Height":\#(rows)}"#.utf8))
    }

    /// Closes standard input (v5 close signal: channel 255 naming channel 0), so commands like `cat` end.
    /// On v4, which has no such signal, this closes the whole connection.
    public func closeStdin() async throws {
        if supportsStdinClose {
            try await send(channel: 255, [0])
        } else {
            try await close()
        }
    }

    /// Closes the WebSocket; the command's output ends.
    public func close() async throws {
        output.gate.open()
        var data = ByteBuffer()
        data.write(webSocketErrorCode: .normalClosure)
        try? await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data))
        outbound.finish()
    }

    /// Waits for the command to end and returns its exit status. Throws ``KubeError`` when the
    /// server reported a failure other than a non-zero exit, or the connection broke first.
    public func exitStatus() async throws -> ExecExitStatus {
        try await finished.value
    }

    private func send(channel: UInt8, _ bytes: [UInt8]) async throws {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(bytes.count + 1)
        buffer.writeInteger(channel)
        buffer.writeBytes(bytes)
        do {
            try await outbound.write(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: buffer))
        } catch {
            throw KubeError.unreachable("the exec connection is closed")
        }
    }
}
