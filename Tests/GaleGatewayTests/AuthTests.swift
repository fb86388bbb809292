import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import NIOHTTP1
import NIOWebSocket
import Testing
import TestSupport
import WSCore

@Suite("Authentication and scopes")
struct AuthTests {
    @Test("HTTP: no token, bad signature and garbage are 2001; expired is 2002; all HTTP 401")
    func httpCredentials() async throws {
        try await TestGateway.with { gateway in
            let forged = try await TokenAuthority(secret: "another-secret-that-is-also-long-enough").issue(
                subject: "mallory", role: .admin, clusters: .all, ttl: .seconds(600)
            )
            let expired = try await gateway.token(ttl: .seconds(60), now: Date().addingTimeInterval(-3600))
            let cases: [(String?, ErrorCode)] = [
                (nil, .unauthenticated), (forged, .unauthenticated), ("not-a-jwt", .unauthenticated),
                (expired, .tokenExpired),
            ]
            for (token, code) in cases {
                let (status, envelope) = try await gateway.http(.GET, "/clusters", token: token)
                #expect(status == 401)
                #expect(envelope["code"]?.intValue == Int64(code.rawValue))
            }
        }
    }

    @Test("a token verified once is not trusted past its expiry, and a forged twin of it is not trusted at all")
    func verifiedTokensKeepEveryTimeCheck() async throws {
        let secret = "a-secret-of-at-least-thirty-two-bytes!"
        let authority = try await TokenAuthority(secret: secret)
        let now = Date()
        let token = try await authority.issue(subject: "ann", role: .viewer, clusters: .all, ttl: .seconds(600), now: now)
        #expect(try await authority.authenticate(token, now: now).subject == "ann")
        #expect(try await authority.authenticate(token, now: now).subject == "ann")
        // Remembered, yet an hour later it has expired.
        let expired = await #expect(throws: APIError.self) { try await authority.authenticate(token, now: now + 3600) }
        #expect(expired?.code == .tokenExpired)
        // Same header and claims, another signature.
        let parts = token.split(separator: ".")
        let twin = "\(parts[0]).\(parts[1]).\(String(parts[2].reversed()))"
        let forged = await #expect(throws: APIError.self) { try await authority.authenticate(twin, now: now) }
        #expect(forged?.code == .unauthenticated)
    }

    @Test("socket: bad credentials get error 2001 and close 4001; expired gets 2002 and close 4002")
    func socketCredentials() async throws {
        try await TestGateway.with { gateway in
            let expired = try await gateway.token(ttl: .seconds(60), now: Date().addingTimeInterval(-3600))
            let cases: [(String?, ErrorCode, UInt16)] = [
                (nil, .unauthenticated, CloseCode.unauthenticated),
                ("eyJhbGciOiJIUzI1NiJ9.e30.AAAA", .unauthenticated, CloseCode.unauthenticated),
                (expired, .tokenExpired, CloseCode.tokenExpired),
            ]
            for (token, code, closeCode) in cases {
                // The refusal comes the instant the socket opens: read it with the raw client.
                let transcript = try await RawWebSocket.transcript(
                    port: gateway.port, path: "/ws" + (token.map { "?access_token=\($0)" } ?? ""))
                #expect(transcript.texts.count == 1)
                guard let text = transcript.texts.first, case .error(nil, nil, let errorCode, _) = try ServerFrame(text: text.utf8)
                else {
                    Issue.record("expected one error frame, got \(transcript.texts)")
                    continue
                }
                #expect(errorCode == code)
                #expect(transcript.closeCode == closeCode)
            }
        }
    }

    @Test("a socket whose token expires is closed with 4002")
    func expiryDuringSession() async throws {
        try await TestGateway.with { gateway in
            let token = try await gateway.token(ttl: .seconds(2))
            let close = try await gateway.socket(.init(token: token)) { socket in
                _ = try await socket.hello()
                let frames = try await socket.drain()
                #expect(frames.contains { if case .error(_, _, .tokenExpired, _) = $0 { true } else { false } })
            }
            #expect(close?.closeCode == WebSocketErrorCode(codeNumber: 4002))
        }
    }

    @Test("viewers and operators cannot change the registry (1005), over HTTP and WebSocket")
    func roles() async throws {
        try await TestGateway.with { gateway in
            let body: JSONValue = ["name": "c1", "kubeconfig": .string(Kubeconfigs.valid)]
            for role in [Role.viewer, .operator] {
                let token = try await gateway.token(role)
                let (status, envelope) = try await gateway.http(.POST, "/clusters", token: token, body: body)
                #expect(status == 403)
                #expect(envelope["code"]?.intValue == 1005)
                try await gateway.socket(.init(token: token)) { socket in
                    _ = try await socket.hello()
                    #expect(try await socket.request("POST", "/clusters", body: body).code == .forbidden)
                    #expect(try await socket.request("GET", "/clusters").code == .ok)
                    try await socket.outbound.close(.normalClosure, reason: nil)
                }
            }
        }
    }

    @Test("a token scoped to one cluster neither sees nor reaches another (1005)")
    func clusterScope() async throws {
        try await TestGateway.with { gateway in
            let admin = try await gateway.token()
            var ids: [Int64] = []
            for name in ["alpha", "beta"] {
                let (_, created) = try await gateway.http(
                    .POST, "/clusters", token: admin,
                    body: ["name": .string(name), "kubeconfig": .string(Kubeconfigs.valid)]
                )
                ids.append(try #require(created["data"]?["id"]?.intValue))
            }
            let scoped = try await gateway.token(.admin, clusters: .only([String(ids[0])]))
            let (_, list) = try await gateway.http(.GET, "/clusters", token: scoped)
            #expect(list["data"]?["total"]?.intValue == 1)
            #expect(list["data"]?["items"]?[0]?["name"]?.stringValue == "alpha")
            for method in [HTTPMethodCase.get, .put, .delete] {
                let (status, envelope) = try await gateway.http(
                    method.method, "/clusters/\(ids[1])", token: scoped, body: method == .put ? ["description": "x"] : nil
                )
                #expect(status == 403)
                #expect(envelope["code"]?.intValue == 1005)
            }
            // The refusal is the same for a cluster that does not exist: scope reveals nothing.
            let (_, missing) = try await gateway.http(.GET, "/clusters/999", token: scoped)
            #expect(missing["code"]?.intValue == 1005)
            let (_, own) = try await gateway.http(.GET, "/clusters/\(ids[0])", token: scoped)
            #expect(own["code"]?.intValue == 0)
        }
    }

    @Test("/metrics needs an admin token; probes need none")
    func operationalRoutes() async throws {
        try await TestGateway.with { gateway in
            let viewer = try await gateway.token(.viewer)
            let admin = try await gateway.token(.admin)
            #expect(try await Probe.get(gateway.port, "/healthz", token: nil).status == 200)
            #expect(try await Probe.get(gateway.port, "/readyz", token: nil).status == 200)
            #expect(try await Probe.get(gateway.port, "/metrics", token: nil).status == 401)
            #expect(try await Probe.get(gateway.port, "/metrics", token: viewer).status == 403)
            let metrics = try await Probe.get(gateway.port, "/metrics", token: admin)
            #expect(metrics.status == 200)
            #expect(metrics.body.contains("kubegale_websocket_connections"))
        }
    }
}

/// The HTTP methods the scope test loops over.
enum HTTPMethodCase {
    case get, put, delete
    var method: HTTPMethod {
        switch self {
        case .get: .GET
        case .put: .PUT
        case .delete: .DELETE
        }
    }
}
