import Foundation
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Synchronization

/// The streams of one port-forward connection (`portforward.k8s.io`, as the kubelet serves it): the client opens
/// an error stream and a data stream per forwarded connection, both carrying `streamtype`, `port` and
/// `requestid`; once both of a request id are open the forwarding starts. Pure bookkeeping: the session carries
/// out the actions.
struct PortForwardStreams {
    /// A forwarded connection whose two streams are open.
    struct Pair: Sendable {
        let errorStream: UInt32
        let dataStream: UInt32
        let port: Int
        /// What the client sends on the data stream.
        let input: InputPipe
    }

    enum Action: Sendable {
        /// Accept the stream (SYN_REPLY).
        case reply(UInt32)
        /// Refuse the stream (RST_STREAM), as the kubelet resets a stream whose headers it cannot use.
        case refuse(UInt32, reason: String)
        /// Start forwarding.
        case start(Pair)
    }

    private struct Half {
        var errorStream: UInt32?
        var dataStream: UInt32?
        var port: Int
        let input = InputPipe()
    }

    private var halves: [String: Half] = [:]
    private var inputs: [UInt32: InputPipe] = [:]

    /// Most forwarded connections open at once on one port-forward connection.
    static let maxOpen = 256

    /// A SYN_STREAM arrived with `headers`.
    mutating func opened(_ streamID: UInt32, headers: [String: [String]]) -> [Action] {
        guard let type = headers["streamtype"]?.first, type == "error" || type == "data" else {
            return [.refuse(streamID, reason: "invalid stream type \(headers["streamtype"]?.first ?? "(none)")")]
        }
        guard let portText = headers["port"]?.first, let port = Int(portText), (1...65535).contains(port) else {
            return [.refuse(streamID, reason: "invalid port header \(headers["port"]?.first ?? "(none)")")]
        }
        // Clients from before request ids open the data stream right after its error stream (the kubelet's rule).
        let requestID = headers["requestid"]?.first ?? String(type == "error" ? streamID : streamID &- 2)
        var half = halves[requestID] ?? Half(port: port)
        guard half.port == port, halves.count < Self.maxOpen || halves[requestID] != nil else {
            return [.refuse(streamID, reason: "stream does not match its pair or too many open")]
        }
        if type == "error" {
            guard half.errorStream == nil else { return [.refuse(streamID, reason: "duplicate error stream for request \(requestID)")] }
            half.errorStream = streamID
        } else {
            guard half.dataStream == nil else { return [.refuse(streamID, reason: "duplicate data stream for request \(requestID)")] }
            half.dataStream = streamID
            inputs[streamID] = half.input
        }
        halves[requestID] = half
        guard let errorStream = half.errorStream, let dataStream = half.dataStream else { return [.reply(streamID)] }
        halves[requestID] = nil
        return [.reply(streamID), .start(Pair(errorStream: errorStream, dataStream: dataStream, port: port, input: half.input))]
    }

    /// DATA arrived; bytes for streams other than a data stream (the error stream is the server's to write) are dropped.
    func received(_ streamID: UInt32, _ payload: [UInt8], fin: Bool) {
        guard let input = inputs[streamID] else { return }
        if !payload.isEmpty { input.push(payload) }
        if fin { input.close() }
    }

    /// The client reset a stream: whatever it still sends is gone, the forwarding ends.
    mutating func reset(_ streamID: UInt32) {
        inputs.removeValue(forKey: streamID)?.close()
    }

    /// The connection ended: every forwarding ends.
    mutating func closeAll() {
        for input in inputs.values { input.close() }
        for half in halves.values { half.input.close() }
        inputs.removeAll()
        halves.removeAll()
    }
}

/// One tunneled SPDY connection of `kubectl port-forward`.
struct PortForwardSession: Sendable {
    let request: PortForwardEndpoint.Request
    let streams: LiveStreams

    /// Largest DATA payload written, as the kubelet copies with 32 KiB buffers.
    static let maxDataBytes = 32 << 10

    /// Writes whole SPDY frames, each as one binary message; a write to a gone client is dropped.
    struct FrameWriter: Sendable {
        let outbound: WebSocketOutboundWriter

        func send(_ frame: SPDYFrame) async {
            try? await outbound.write(.binary(ByteBuffer(bytes: frame.encoded)))
        }

        func data(_ streamID: UInt32, _ bytes: [UInt8], fin: Bool = false) async {
            var start = 0
            repeat {
                let end = min(start + PortForwardSession.maxDataBytes, bytes.count)
                await send(.data(streamID: streamID, fin: fin && end == bytes.count, payload: Array(bytes[start..<end])))
                start = end
            } while start < bytes.count
        }
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let writer = FrameWriter(outbound: outbound)
        let request = self.request
        let headers = SPDYHeaderCodec()
        var decoder = SPDYFrameDecoder()
        var table = PortForwardStreams()
        let stopped = Mutex<[InputPipe]>([])
        let streamID = streams.register {
            for input in stopped.withLock({ $0 }) { input.close() }
        }
        defer { streams.unregister(streamID) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            reading: for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .binary(let buffer) = message else {
                    try? await outbound.close(.protocolError, reason: "a SPDY tunnel carries binary messages only")
                    break reading
                }
                decoder.append(buffer.readableBytesView)
                do {
                    while let frame = try decoder.next() {
                        switch frame {
                        case .synStream(let id, _, let block):
                            for action in table.opened(id, headers: try headers.decode(block)) {
                                switch action {
                                case .reply(let id):
                                    await writer.send(.synReply(streamID: id, fin: false, headerBlock: headers.encode([])))
                                case .refuse(let id, _):
                                    await writer.send(.rstStream(streamID: id, status: SPDYFrame.ResetStatus.refusedStream))
                                case .start(let pair):
                                    stopped.withLock { $0.append(pair.input) }
                                    group.addTask { await Self.forward(pair, request: request, writer: writer) }
                                }
                            }
                        case .data(let id, let fin, let payload):
                            table.received(id, payload, fin: fin)
                        case .rstStream(let id, _):
                            table.reset(id)
                        case .ping(let id):
                            await writer.send(.ping(id: id))
                        case .goAway:
                            break reading
                        case .synReply, .ignored:
                            continue
                        }
                    }
                } catch {
                    await writer.send(.goAway(lastGoodStreamID: 0, status: 1))
                    try? await outbound.close(.protocolError, reason: "\(error)")
                    break reading
                }
            }
            table.closeAll()
            try await group.waitForAll()
        }
    }

    /// The kubelet's words for a port nothing listens on.
    static func refusal(port: Int, request: PortForwardEndpoint.Request) -> String {
        let declared = request.listeners.keys.sorted().map(String.init).joined(separator: ", ")
        return "error forwarding port \(port) to pod \(ControllerManager.uid(request.pod)), uid : failed to connect to "
            + "localhost:\(port) inside the pod: connect: connection refused (declared container ports: "
            + "\(declared.isEmpty ? "none" : declared))"
    }

    /// Carries one forwarded connection to the listener on its port, or refuses it on the error stream.
    static func forward(_ pair: PortForwardStreams.Pair, request: PortForwardEndpoint.Request, writer: FrameWriter) async {
        guard let listener = request.listeners[pair.port] else {
            await writer.data(pair.errorStream, Array(refusal(port: pair.port, request: request).utf8), fin: true)
            await writer.data(pair.dataStream, [], fin: true)
            return
        }
        await listener.serve(input: pair.input) { bytes in await writer.data(pair.dataStream, bytes) }
        await writer.data(pair.dataStream, [], fin: true)
        await writer.data(pair.errorStream, [], fin: true)
    }
}
