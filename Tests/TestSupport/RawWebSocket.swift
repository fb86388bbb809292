import Foundation
import NIOCore
import NIOPosix

/// A deliberately small WebSocket client for tests: the upgrade request written by hand, the
/// server's frames parsed from the raw bytes, its close answered.
///
/// WSClient (swift-websocket) switches its pipeline after the `101` in a later event-loop turn and
/// now and then misses what a server sends the instant the upgrade completes (a refusal and its
/// close, or a short exec's whole output) — then waits forever. Exchanges where the server speaks
/// first are tested with this client instead.
public enum RawWebSocket {
    /// What the server sent until it closed.
    public struct Transcript: Sendable {
        /// Text messages, in order.
        public var texts: [String] = []
        /// Binary messages, in order.
        public var binaryMessages: [[UInt8]] = []
        /// The code of the server's close frame.
        public var closeCode: UInt16?

        /// Every binary payload, concatenated.
        public var binary: [UInt8] { binaryMessages.flatMap { $0 } }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Opens `path` on `host`:`port` with `headers`, sends `binary` messages once upgraded, and
    /// reads until the server's close frame (answered), or fails after `timeout`.
    public static func transcript(
        port: Int, host: String = "127.0.0.1", path: String, headers: [(String, String)] = [],
        binary messages: [[UInt8]] = [], timeout: Duration = .seconds(20)
    ) async throws -> Transcript {
        try await transcript(
            port: port, host: host, path: path, headers: headers, frames: messages.map { (0x2, $0) }, timeout: timeout)
    }

    /// Opcode of a text frame, for `frames`.
    public static let text: UInt8 = 0x1
    /// Opcode of a binary frame, for `frames`.
    public static let binary: UInt8 = 0x2

    /// As `transcript(port:host:path:headers:binary:timeout:)`, sending final frames of any opcode (text,
    /// binary, or one a server must refuse) once upgraded.
    public static func transcript(
        port: Int, host: String = "127.0.0.1", path: String, headers: [(String, String)] = [],
        frames messages: [(opcode: UInt8, payload: [UInt8])], timeout: Duration = .seconds(20)
    ) async throws -> Transcript {
        try await withThrowingTaskGroup(of: Transcript.self) { group in
            group.addTask { try await exchange(host: host, port: port, path: path, headers: headers, messages: messages) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Failure(description: "no close from the server within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    private static func exchange(
        host: String, port: Int, path: String, headers: [(String, String)], messages: [(opcode: UInt8, payload: [UInt8])]
    ) async throws -> Transcript {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            var request =
                "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
            for (name, value) in headers { request += "\(name): \(value)\r\n" }
            try await outbound.write(ByteBuffer(string: request + "\r\n"))
            var transcript = Transcript()
            var bytes: [UInt8] = []
            var upgraded = false
            for try await buffer in inbound {
                bytes += buffer.readableBytesView
                if !upgraded {
                    guard let end = headerEnd(bytes) else { continue }
                    let head = String(decoding: bytes[..<end], as: UTF8.self)
                    guard head.hasPrefix("HTTP/1.1 101") else { throw Failure(description: "upgrade refused: \(head)") }
                    bytes.removeFirst(end + 4)
                    upgraded = true
                    for message in messages { try await outbound.write(ByteBuffer(bytes: masked(opcode: message.opcode, message.payload))) }
                }
                while let (opcode, payload, length) = frame(bytes) {
                    bytes.removeFirst(length)
                    switch opcode {
                    case 0x1:
                        transcript.texts.append(String(decoding: payload, as: UTF8.self))
                    case 0x2:
                        transcript.binaryMessages.append(payload)
                    case 0x8:
                        if payload.count >= 2 { transcript.closeCode = UInt16(payload[0]) << 8 | UInt16(payload[1]) }
                        // The server may already have closed the connection: the answer is a courtesy.
                        try? await outbound.write(ByteBuffer(bytes: masked(opcode: 0x8, Array(payload.prefix(2)))))
                        return transcript
                    default:
                        continue
                    }
                }
            }
            throw Failure(description: "the connection ended without a close frame")
        }
    }

    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        return (0...(bytes.count - 4)).first { bytes[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) }
    }

    /// An unmasked server frame at the start of `bytes`: opcode, payload, and its length on the wire.
    private static func frame(_ bytes: [UInt8]) -> (UInt8, [UInt8], Int)? {
        guard bytes.count >= 2 else { return nil }
        var length = Int(bytes[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = bytes[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        guard bytes.count >= offset + length else { return nil }
        return (bytes[0] & 0x0F, Array(bytes[offset..<(offset + length)]), offset + length)
    }

    /// A final client frame (masked, as clients must) of `opcode` carrying `payload`.
    private static func masked(opcode: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        return frame + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }
}
