import Foundation
import GaleJSON
import HummingbirdWebSocket
import NIOCore

/// A Kubernetes remote-command WebSocket subprotocol, as the kubelet speaks them: every message carries one
/// stream (0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize) in its first byte — an ASCII digit followed
/// by base64 in the `base64.` variants — and the rest is that stream's bytes. Text and binary messages from the
/// client are read alike (the kubelet reads every message as bytes; the Python client sends stdin as text).
struct ChannelProtocol: Sendable, Equatable {
    /// The `Sec-WebSocket-Protocol` token.
    let name: String
    /// Streams are written as text, `'0' + stream` then base64.
    let base64: Bool
    /// Stream 3 carries a `Status` object (v4 and later) rather than a bare error message.
    let statusObjects: Bool
    /// A message `[255, stream]` closes one stream (v5).
    let closeSignal: Bool

    static let v5 = ChannelProtocol(name: "v5.channel.k8s.io", base64: false, statusObjects: true, closeSignal: true)
    static let v4 = ChannelProtocol(name: "v4.channel.k8s.io", base64: false, statusObjects: true, closeSignal: false)
    static let v4Base64 = ChannelProtocol(name: "v4.base64.channel.k8s.io", base64: true, statusObjects: true, closeSignal: false)
    static let v1 = ChannelProtocol(name: "channel.k8s.io", base64: false, statusObjects: false, closeSignal: false)
    static let v1Base64 = ChannelProtocol(name: "base64.channel.k8s.io", base64: true, statusObjects: false, closeSignal: false)

    /// In the order the server prefers them.
    static let all: [ChannelProtocol] = [.v5, .v4, .v4Base64, .v1, .v1Base64]

    /// The protocol chosen from a `Sec-WebSocket-Protocol` offer, `nil` when none is supported.
    static func negotiate(_ offer: String) -> ChannelProtocol? {
        let offered = offer.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return all.first { offered.contains($0.name) }
    }

    static let stdin: UInt8 = 0
    static let stdout: UInt8 = 1
    static let stderr: UInt8 = 2
    static let status: UInt8 = 3
    static let resize: UInt8 = 4
    static let close: UInt8 = 255
    /// Streams a client may address (stdin to resize).
    static let streamCount: UInt8 = 5

    /// What one client message means.
    enum Inbound: Equatable, Sendable {
        /// Bytes for stdin (stream 0) or the resize stream (4).
        case data(stream: UInt8, bytes: [UInt8])
        /// The client will send nothing more on `stream` (v5).
        case closeStream(UInt8)
        /// Nothing to do: an empty message, or one for a stream the client does not write (the kubelet drops these).
        case ignored(String)
        /// A message that breaks the protocol: the connection ends, as the kubelet ends it.
        case protocolError(String)
    }

    /// Reads one message's bytes (a text message's UTF-8 or a binary message's payload).
    func decode(_ message: [UInt8]) -> Inbound {
        guard let first = message.first else { return .ignored("empty message") }
        if closeSignal && first == Self.close {
            guard message.count == 2 else {
                return .protocolError("a close signal carries one stream byte, got \(message.count - 1)")
            }
            guard message[1] < Self.streamCount else { return .protocolError("close for unknown stream \(message[1])") }
            return .closeStream(message[1])
        }
        let stream = base64 ? first &- UInt8(ascii: "0") : first
        guard stream < Self.streamCount else { return .ignored("message for unknown stream \(first)") }
        guard stream == Self.stdin || stream == Self.resize else { return .ignored("message for output stream \(stream)") }
        var bytes = Array(message.dropFirst())
        if base64 {
            guard let decoded = Data(base64Encoded: Data(bytes)) else { return .ignored("stream \(stream) data is not base64") }
            bytes = Array(decoded)
        }
        return .data(stream: stream, bytes: bytes)
    }

    /// A server message carrying `bytes` on `stream`.
    func encode(stream: UInt8, _ bytes: [UInt8]) -> WebSocketOutboundWriter.OutboundFrame {
        if base64 {
            return .text(String(Character(Unicode.Scalar(UInt8(ascii: "0") + stream))) + Data(bytes).base64EncodedString())
        }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(bytes.count + 1)
        buffer.writeInteger(stream)
        buffer.writeBytes(bytes)
        return .binary(buffer)
    }

    /// What goes on stream 3 when the command ends: a `Status` (v4, v5), or before v4 the bare message of a
    /// failure and nothing on success.
    func statusPayload(_ status: JSONValue) -> [UInt8]? {
        if statusObjects { return Array(status.jsonString.utf8) }
        guard status["status"]?.stringValue != "Success" else { return nil }
        return Array((status["message"]?.stringValue ?? "error").utf8)
    }

    /// A terminal size from the resize stream's JSON (`{"Width":80,"Height":24}`); `nil` when it is not one.
    static func terminalSize(_ bytes: [UInt8]) -> (rows: Int, columns: Int)? {
        guard let size = try? JSONParser.parse(bytes, configuration: .kubeSim), let width = size["Width"]?.integer, let height = size["Height"]?.integer,
            (1...0xFFFF).contains(width), (1...0xFFFF).contains(height)
        else { return nil }
        return (height, width)
    }
}
