import Foundation
import NIOCore
import NIOPosix

/// A deliberately small WebSocket client: the upgrade request written by hand, the server's
/// frames parsed from the raw bytes, its close answered. WSClient now and then misses what a
/// server sends the instant the upgrade completes (text and close written before its pipeline is
/// switched over) and then waits forever; sockets the gateway refuses at once are tested with
/// this client instead.
enum RawWebSocket {
    /// What the server sent until it closed.
    struct Transcript: Sendable {
        var texts: [String] = []
        var binary: [UInt8] = []
        /// The code of the server's close frame.
        var closeCode: UInt16?
    }

    /// Opens `path` on 127.0.0.1:`port` and reads until the server's close frame (answered),
    /// or fails after `timeout`.
    static func transcript(port: Int, path: String, timeout: Duration = .seconds(20)) async throws -> Transcript {
        try await withThrowingTaskGroup(of: Transcript.self) { group in
            group.addTask { try await read(port: port, path: path) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TestFailure("no close from the server within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    private static func read(port: Int, path: String) async throws -> Transcript {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            let request =
                "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
            try await outbound.write(ByteBuffer(string: request))
            var transcript = Transcript()
            var bytes: [UInt8] = []
            var upgraded = false
            for try await buffer in inbound {
                bytes += buffer.readableBytesView
                if !upgraded {
                    guard let end = headerEnd(bytes) else { continue }
                    let head = String(decoding: bytes[..<end], as: UTF8.self)
                    guard head.hasPrefix("HTTP/1.1 101") else { throw TestFailure("upgrade refused: \(head)") }
                    bytes.removeFirst(end + 4)
                    upgraded = true
                }
                while let (opcode, payload, length) = frame(bytes) {
                    bytes.removeFirst(length)
                    switch opcode {
                    case 0x1:
                        transcript.texts.append(String(decoding: payload, as: UTF8.self))
                    case 0x2:
                        transcript.binary += payload
                    case 0x8:
                        if payload.count >= 2 { transcript.closeCode = UInt16(payload[0]) << 8 | UInt16(payload[1]) }
                        // The server may already have closed the connection: the answer is a courtesy.
                        try? await outbound.write(ByteBuffer(bytes: maskedClose(Array(payload.prefix(2)))))
                        return transcript
                    default:
                        continue
                    }
                }
            }
            throw TestFailure("the connection ended without a close frame")
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

    private static func maskedClose(_ payload: [UInt8]) -> [UInt8] {
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        return [0x88, 0x80 | UInt8(payload.count)] + mask
            + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }
}
