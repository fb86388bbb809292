import Foundation
import GaleGateway
import GaleProtocol
import HTTPTypes
import Logging
import NIOCore
import NIOSSL
import TestSupport
import Testing
import WSClient
import SwiftASN1
import X509

/// https and wss on one port, mutual TLS, certificate reload, slowloris and the plain-text guard.
@Suite("TLS serving and listener guards")
struct TLSServingTests {
    /// A gateway serving TLS with a certificate named `gateway-a` from a fresh CA.
    static func withTLSGateway<T: Sendable>(
        clientCA: Bool = false,
        _ body: (TestGateway, TestCertificates) async throws -> T
    ) async throws -> T {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let leaf = try certificates.leaf(commonName: "gateway-a")
        let files = ListenerConfiguration.TLS(
            certificateFile: try certificates.write(leaf.certificate, to: "server.pem"),
            privateKeyFile: try certificates.write(leaf.key, to: "server.key"),
            clientCAFile: clientCA ? try certificates.write(try certificates.caPEM, to: "clients.pem") : nil)
        return try await TestGateway.with(configure: { $0.listener.tls = files }) { gateway in
            try await body(gateway, certificates)
        }
    }

    static func commonName(_ certificate: NIOSSLCertificate?) throws -> String? {
        guard let certificate else { return nil }
        let parsed = try Certificate(derEncoded: try certificate.toDERBytes())
        return parsed.subject.description
    }

    static let healthRequest = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

    /// Opens a wss socket with `tls` and runs `body` on it.
    static func secureSocket(
        _ gateway: TestGateway, tls: TLSConfiguration, token: String,
        _ body: @escaping @Sendable (inout TestSocket) async throws -> Void
    ) async throws {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        try await WebSocketClient.connect(
            url: "wss://127.0.0.1:\(gateway.port)/ws",
            configuration: .init(additionalHeaders: headers, autoPing: .disabled, sniHostname: "localhost"),
            tlsConfiguration: tls, logger: Logger(label: "tls-test-client")
        ) { inbound, outbound, _ in
            var socket = TestSocket(messages: inbound.messages(maxSize: 16 << 20).makeAsyncIterator(), outbound: outbound)
            try await body(&socket)
        }
    }

    @Test("https and wss are served on the same port; plain http there gets no answer")
    func httpsAndWss() async throws {
        try await Self.withTLSGateway { gateway, certificates in
            let tls = try certificates.clientTLS()
            let https = try await TLSProbe.exchange(port: gateway.port, tls: tls, request: Self.healthRequest)
            #expect(https.response.hasPrefix("HTTP/1.1 200"))
            #expect(try Self.commonName(https.peerCertificate) == "CN=gateway-a")
            let token = try await gateway.token()
            try await Self.secureSocket(gateway, tls: tls, token: token) { socket in
                let hello = try await socket.hello()
                #expect(hello.subject == "tester-admin")
                let (code, _, _) = try await socket.request("GET", "/clusters")
                #expect(code == .ok)
            }
            let plain = try? await TLSProbe.exchange(port: gateway.port, tls: nil, request: Self.healthRequest)
            #expect(plain?.response.contains("200 OK") != true)
        }
    }

    @Test("mutual TLS: without a client certificate the handshake is refused; with one signed by the CA it works")
    func mutualTLS() async throws {
        try await Self.withTLSGateway(clientCA: true) { gateway, certificates in
            let anonymous = try await Self.refused(port: gateway.port, tls: try certificates.clientTLS())
            #expect(anonymous)
            let stranger = try TestCertificates(name: "other-ca")
            defer { stranger.remove() }
            let foreign = try await Self.refused(
                port: gateway.port, tls: try certificates.clientTLS(identity: try stranger.leaf(commonName: "eve", client: true)))
            #expect(foreign)
            let identity = try certificates.leaf(commonName: "alice", client: true)
            let admitted = try await TLSProbe.exchange(
                port: gateway.port, tls: try certificates.clientTLS(identity: identity), request: Self.healthRequest)
            #expect(admitted.response.hasPrefix("HTTP/1.1 200"))
        }
    }

    /// Whether the server refused the TLS session: the handshake failed or nothing HTTP came back.
    static func refused(port: Int, tls: TLSConfiguration) async throws -> Bool {
        do {
            let exchange = try await TLSProbe.exchange(port: port, tls: tls, request: healthRequest)
            return !exchange.response.contains("HTTP/1.1")
        } catch {
            return true  // the handshake failed
        }
    }

    @Test("reload: new connections get the new certificate, an open wss socket stays open, a bad file keeps the old one")
    func reload() async throws {
        try await Self.withTLSGateway { gateway, certificates in
            let tls = try certificates.clientTLS()
            let token = try await gateway.token()
            guard let reloader = gateway.gateway.certificates else { throw TestFailure("no TLS certificates") }
            try await Self.secureSocket(gateway, tls: tls, token: token) { socket in
                _ = try await socket.hello()
                let next = try certificates.leaf(commonName: "gateway-b")
                try certificates.write(next.certificate, to: "server.pem")
                try certificates.write(next.key, to: "server.key")
                #expect(reloader.reload())
                let after = try await TLSProbe.exchange(port: gateway.port, tls: tls, request: Self.healthRequest)
                #expect(try Self.commonName(after.peerCertificate) == "CN=gateway-b")

                try certificates.write("not a certificate", to: "server.pem")
                #expect(!reloader.reload())
                let kept = try await TLSProbe.exchange(port: gateway.port, tls: tls, request: Self.healthRequest)
                #expect(try Self.commonName(kept.peerCertificate) == "CN=gateway-b")
                #expect(gateway.logs.text.contains("TLS certificates not reloaded"))

                // The socket opened with the first certificate still answers.
                let (code, _, _) = try await socket.request("GET", "/clusters")
                #expect(code == .ok)
            }
        }
    }

    @Test("slowloris: a connection trickling its request head is closed after the header timeout, unanswered")
    func slowloris() async throws {
        try await TestGateway.with(configure: { $0.listener.headerTimeout = .seconds(1) }) { gateway in
            let started = ContinuousClock.now
            let exchange = try await TLSProbe.exchange(
                port: gateway.port, tls: nil, request: "GET /healthz HTTP/1.1\r\nHost: localhost\r\n",
                trickle: (0..<100).map { "X-Slow-\($0): 1\r\n" })
            let elapsed = ContinuousClock.now - started
            #expect(exchange.response.isEmpty)
            #expect(elapsed >= .milliseconds(900))
            // Closed by the header timeout while the client was still trickling (100 lines take
            // 20 s), however loaded the machine.
            #expect(exchange.trickled < 100, "the server let the trickle run to its end")
            // A prompt client on the same gateway is served.
            let prompt = try await TLSProbe.exchange(port: gateway.port, tls: nil, request: Self.healthRequest)
            #expect(prompt.response.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test("the listening socket queues as many connections as configured, by default 4096 within the kernel's cap")
    func listenBacklog() async throws {
        let somaxconn = try String(contentsOfFile: "/proc/sys/net/core/somaxconn", encoding: .utf8)
        let cap = try #require(Int(somaxconn.trimmingCharacters(in: .whitespacesAndNewlines)))
        let byDefault = try await TestGateway.with { gateway in try await Self.listenQueueLimit(port: gateway.port) }
        #expect(byDefault == min(4096, cap))
        let configured = try await TestGateway.with(configure: { $0.listener.backlog = 100 }) { gateway in
            try await Self.listenQueueLimit(port: gateway.port)
        }
        #expect(configured == min(100, cap))
    }

    /// The accept queue limit of the socket listening on `port`, as the kernel reports it
    /// (`ss`'s Send-Q column for a listening socket).
    static func listenQueueLimit(port: Int) async throws -> Int? {
        let ss = try await ChildProcess.run("/usr/bin/env", ["ss", "-H", "-l", "-t", "-n", "sport = :\(port)"])
        // State, Recv-Q, Send-Q, local address, peer address.
        let fields = ss.output.split(whereSeparator: \.isWhitespace)
        return fields.count >= 3 ? Int(fields[2]) : nil
    }

    @Test("idle HTTP/1 connections are closed after the idle timeout")
    func idleTimeout() async throws {
        try await TestGateway.with(configure: { $0.listener.idleTimeout = .seconds(1) }) { gateway in
            let started = ContinuousClock.now
            let exchange = try await TLSProbe.exchange(
                port: gateway.port, tls: nil, request: "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(exchange.response.hasPrefix("HTTP/1.1 200"))
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test("plain http on a non-loopback address is refused unless --insecure-listen; loopback and TLS are fine")
    func nonLoopbackRefusal() async throws {
        let plain = ListenerConfiguration()
        for host in ["0.0.0.0", "::", "192.168.1.10", "gateway.example.com"] {
            #expect(throws: ConfigurationError.self) { try plain.checkExposure(host: host) }
        }
        for host in ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"] {
            try plain.checkExposure(host: host)
        }
        try ListenerConfiguration(insecureListen: true).checkExposure(host: "0.0.0.0")
        let tls = ListenerConfiguration.TLS(
            certificateFile: URL(fileURLWithPath: "/nonexistent"), privateKeyFile: URL(fileURLWithPath: "/nonexistent"))
        try ListenerConfiguration(tls: tls).checkExposure(host: "0.0.0.0")

        // The gateway itself refuses to start.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubegale-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = GatewayConfiguration(host: "0.0.0.0", port: 0, dataDirectory: directory, jwtSecret: TestGateway.secret)
        do {
            _ = try await Gateway(configuration: configuration, logger: Logger(label: "refusal"))
            Issue.record("a gateway on 0.0.0.0 without TLS started")
        } catch let error as ConfigurationError {
            #expect(error.description.contains("--insecure-listen"))
        }
    }
}
