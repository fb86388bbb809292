import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import NIOCore
import NIOWebSocket
import WSCore
import Testing

@Suite("WebSocket transport")
struct TransportTests {
    @Test("hello comes first, JSON ping gets pong")
    func helloAndPing() async throws {
        try await TestGateway.with { gateway in
            let token = try await gateway.token(.viewer)
            try await gateway.socket(.init(token: token)) { socket in
                let hello = try await socket.hello()
                #expect(hello.protocol == "kubegale.v1")
                #expect(hello.role == "viewer")
                #expect(hello.session.count == 32)
                #expect(hello.compression == false)
                try await socket.send(.ping(id: .number(7)))
                #expect(try await socket.receive() == .pong(id: .number(7)))
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test("permessage-deflate is negotiated and works both ways")
    func deflateBothWays() async throws {
        try await TestGateway.with { gateway in
            let token = try await gateway.token()
            let description = String(repeating: "a highly compressible cluster description ", count: 2000)
            try await gateway.socket(.init(token: token, deflate: true)) { socket in
                #expect(try await socket.hello().compression)
                let created = try await socket.request(
                    "POST", "/clusters",
                    body: ["name": "deflated", "description": .string(description), "kubeconfig": .string(Kubeconfigs.valid)]
                )
                #expect(created.code == .ok)
                #expect(created.data["description"]?.stringValue == description)
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
            let exposition = String(decoding: gateway.gateway.metrics.exposition(), as: UTF8.self)
            // Both directions went through zlib and came out much smaller.
            let deflateIn = try #require(Metrics.value("kubegale_deflate_input_bytes_total", in: exposition))
            let deflateOut = try #require(Metrics.value("kubegale_deflate_output_bytes_total", in: exposition))
            let inflateIn = try #require(Metrics.value("kubegale_inflate_input_bytes_total", in: exposition))
            let inflateOut = try #require(Metrics.value("kubegale_inflate_output_bytes_total", in: exposition))
            #expect(deflateIn > 80_000 && deflateOut * 20 < deflateIn)
            #expect(inflateOut > 80_000 && inflateIn * 20 < inflateOut)
        }
    }

    @Test("100 concurrent requests on one socket are all answered with their ids")
    func concurrentRequests() async throws {
        try await TestGateway.with { gateway in
            let token = try await gateway.token()
            try await gateway.socket(.init(token: token)) { socket in
                _ = try await socket.hello()
                for index in 0..<100 {
                    let path = index % 2 == 0 ? "/clusters?page=1&pageSize=5" : "/clusters/\(index)"
                    try await socket.send(.request(.init(id: .number(Int64(index)), method: "GET", path: path)))
                }
                var answered: [Int64: ErrorCode] = [:]
                while answered.count < 100 {
                    guard case .response(.number(let id), let code, _, _) = try await socket.receive() else { continue }
                    #expect(answered[id] == nil)
                    answered[id] = code
                }
                #expect(Set(answered.keys) == Set(0..<100))
                #expect(answered.filter { $0.key % 2 == 0 }.values.allSatisfy { $0 == .ok })
                #expect(answered.filter { $0.key % 2 == 1 }.values.allSatisfy { $0 == .clusterNotFound })
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test("malformed frames get error frames and the socket stays usable")
    func malformedFrames() async throws {
        try await TestGateway.with { gateway in
            let token = try await gateway.token()
            try await gateway.socket(.init(token: token)) { socket in
                _ = try await socket.hello()
                let cases: [(String, String, FrameID?)] = [
                    ("{not json", "not valid JSON", nil),
                    ("[1,2]", "must be a JSON object", nil),
                    (#"{"type":"teleport","id":"t1"}"#, #"unknown frame type "teleport""#, .string("t1")),
                    (#"{"type":"request","id":"r1","method":"GET"}"#, #"missing field "path""#, .string("r1")),
                    (#"{"type":"request","method":"GET","path":"/clusters"}"#, #"missing field "id""#, nil),
                    (#"{"id":3}"#, #"missing field "type""#, .number(3)),
                ]
                for (text, message, id) in cases {
                    try await socket.send(text: text)
                    guard case .error(let errorID, _, let code, let msg) = try await socket.receive() else {
                        Issue.record("no error frame for \(text)")
                        continue
                    }
                    #expect(code == .invalidArgument)
                    #expect(msg.contains(message), "\(msg)")
                    #expect(errorID == id)
                }
                let unknownPath = try await socket.request("GET", "/no/such/thing")
                #expect(unknownPath.code == .resourceNotFound)
                #expect(unknownPath.msg == "no operation GET /no/such/thing")
                let missingField = try await socket.request("POST", "/clusters", body: ["description": "no name"])
                #expect(missingField.code == .invalidArgument)
                #expect(missingField.msg.contains("name"))
                // Still usable after all of it.
                #expect(try await socket.request("GET", "/clusters").code == .ok)
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test("an oversize message closes with 1009 and other sockets keep working")
    func oversizeMessage() async throws {
        let limits = WebSocketLimits(maxFrameSize: 64 << 10, maxMessageSize: 64 << 10, maxDecompressedSize: 64 << 10)
        try await TestGateway.with(limits: limits) { gateway in
            let token = try await gateway.token()
            let closed = Shared(false)
            // The bystander keeps asking while the other socket is closed, and once more after.
            let bystander = Task {
                try await gateway.socket(.init(token: token)) { socket in
                    _ = try await socket.hello()
                    var answered = 0
                    while !closed.get() || answered < 2 {
                        #expect(try await socket.request("GET", "/clusters").code == .ok)
                        answered = closed.get() ? answered + 1 : 0
                    }
                    try await socket.outbound.close(.normalClosure, reason: nil)
                }
            }
            let close = try await gateway.socket(.init(token: token)) { socket in
                _ = try await socket.hello()
                try await socket.send(text: String(repeating: "x", count: 100 << 10))
                _ = try await socket.drain()
            }
            closed.set(true)
            #expect(close?.closeCode == .messageTooLarge)
            _ = try await bystander.value
        }
    }

    @Test("a compressed message that inflates past the limit closes with 1009")
    func decompressionBomb() async throws {
        let limits = WebSocketLimits(maxFrameSize: 64 << 10, maxMessageSize: 64 << 10, maxDecompressedSize: 64 << 10)
        try await TestGateway.with(limits: limits) { gateway in
            let token = try await gateway.token()
            let close = try await gateway.socket(.init(token: token, deflate: true)) { socket in
                _ = try await socket.hello()
                // 2 MiB of one byte deflates to about 2 KiB on the wire: far under the frame limit.
                try await socket.send(text: String(repeating: "A", count: 2 << 20))
                _ = try await socket.drain()
            }
            #expect(close?.closeCode == .messageTooLarge)
        }
    }

    @Test("token by subprotocol and by query; kubegale.v1 works as subprotocol")
    func tokenPlacements() async throws {
        try await TestGateway.with { gateway in
            let token = try await gateway.token(.operator)
            for placement in [SocketOptions.Placement.subprotocol, .query] {
                try await gateway.socket(.init(token: token, placement: placement)) { socket in
                    #expect(try await socket.hello().role == "operator")
                    try await socket.outbound.close(.normalClosure, reason: nil)
                }
            }
        }
    }

    @Test("graceful shutdown closes sockets with 1001")
    func gracefulShutdown() async throws {
        try await TestGateway.with { gateway in
            let token = try await gateway.token()
            let close = try await gateway.socket(.init(token: token)) { socket in
                _ = try await socket.hello()
                await gateway.shutdown()
                _ = try await socket.drain()
            }
            #expect(close?.closeCode == .goingAway)
        }
    }

    @Test("binary frames for unknown channels and malformed binary frames get error frames")
    func binaryFrames() async throws {
        try await TestGateway.with { gateway in
            let token = try await gateway.token()
            try await gateway.socket(.init(token: token)) { socket in
                _ = try await socket.hello()
                let frame = StreamFrame(channel: 9, stream: .stdin, payload: .init(string: "ls\n"))
                try await socket.outbound.write(.binary(frame.encoded()))
                #expect(try await socket.receive() == .error(id: nil, channel: 9, code: .invalidArgument, msg: "no open channel 9"))
                try await socket.outbound.write(.binary(.init(bytes: [0, 0])))
                guard case .error(_, _, .invalidArgument, let message) = try await socket.receive() else {
                    Issue.record("expected an error frame")
                    return
                }
                #expect(message.contains("4-byte channel"))
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
        }
    }
}

/// Reads values out of a Prometheus exposition.
enum Metrics {
    static func value(_ name: String, in exposition: String) -> Double? {
        for line in exposition.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }
}
