import Foundation
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

/// The kubelet's WebSocket port-forward (`v4.channel.k8s.io` on `portforward?ports=…`, what the official Python
/// client's `portforward` speaks): port number `i` of the query gets stream `2i` for data and `2i+1` for errors,
/// each opened by a message carrying the port as 16 bits little-endian. One connection per port; the socket
/// closes once every port's connection has ended.
struct PortForwardChannelSession: Sendable {
    let request: PortForwardEndpoint.Request
    let ports: [Int]
    let streams: LiveStreams

    static func message(_ stream: Int, _ bytes: [UInt8]) -> WebSocketOutboundWriter.OutboundFrame {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt8(stream))
        buffer.writeBytes(bytes)
        return .binary(buffer)
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let inputs = ports.map { _ in InputPipe() }
        for (index, port) in ports.enumerated() {
            let number = [UInt8(port & 0xFF), UInt8(port >> 8)]
            try await outbound.write(Self.message(2 * index, number))
            try await outbound.write(Self.message(2 * index + 1, number))
        }
        let streamID = streams.register { for input in inputs { input.close() } }
        defer { streams.unregister(streamID) }
        let request = self.request
        let ports = self.ports
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskGroup(of: Void.self) { forwards in
                    for (index, port) in ports.enumerated() {
                        forwards.addTask {
                            guard let listener = request.listeners[port] else {
                                let message = PortForwardSession.refusal(port: port, request: request)
                                try? await outbound.write(Self.message(2 * index + 1, Array(message.utf8)))
                                return
                            }
                            await listener.serve(input: inputs[index]) { bytes in
                                var start = 0
                                repeat {
                                    let end = min(start + PortForwardSession.maxDataBytes, bytes.count)
                                    try? await outbound.write(Self.message(2 * index, Array(bytes[start..<end])))
                                    start = end
                                } while start < bytes.count
                            }
                        }
                    }
                }
                try? await outbound.close(.normalClosure, reason: nil)
            }
            reading: for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .binary(let buffer) = message, let stream = buffer.readableBytesView.first else { continue }
                guard stream % 2 == 0, Int(stream) / 2 < inputs.count else {
                    try? await outbound.close(.protocolError, reason: "data for stream \(stream), which is not a data stream")
                    break reading
                }
                inputs[Int(stream) / 2].push(Array(buffer.readableBytesView.dropFirst()))
            }
            for input in inputs { input.close() }
            try await group.waitForAll()
        }
    }
}
