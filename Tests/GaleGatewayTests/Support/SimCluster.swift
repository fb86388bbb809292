import TestSupport
import Foundation
import GaleGateway
import GaleJSON
import KubeSim
import NIOHTTP1

/// A gateway with a KubeSim cluster (demo data seeded) registered as cluster `id`.
struct SimCluster {
    let gateway: TestGateway
    let simulator: KubeSimServer
    let id: Int64
    let admin: String

    static func with<T: Sendable>(
        probeInterval: Duration = .seconds(10),
        live: LiveConfiguration = .forTests,
        configure: (inout GatewayConfiguration) -> Void = { _ in },
        settings: GaleJSON.JSONValue = [:],
        _ body: (SimCluster) async throws -> T
    ) async throws -> T {
        // A port of its own that nobody takes while it is down (restart and outage tests).
        let simulator = KubeSimServer(configuration: .init(port: TestPorts.next(), podStartDelay: .milliseconds(50)))
        try await simulator.start()
        defer { Task { await simulator.stop() } }
        return try await TestGateway.with(probeInterval: probeInterval, live: live, configure: configure) { gateway in
            let admin = try await gateway.token()
            var registration = settings
            registration["name"] = "sim"
            registration["kubeconfig"] = .string(try simulator.kubeconfig())
            let (_, created) = try await gateway.http(.POST, "/clusters", token: admin, body: registration)
            guard let id = created["data"]?["id"]?.intValue else { throw TestFailure("cannot register KubeSim: \(created)") }
            return try await body(SimCluster(gateway: gateway, simulator: simulator, id: id, admin: admin))
        }
    }

    /// `GET path` with `cluster_id` and `query` as query parameters.
    func get(_ path: String, _ query: [String: String] = [:], token: String? = nil) async throws -> (status: Int, envelope: GaleJSON.JSONValue) {
        var parameters = query
        parameters["cluster_id"] = String(id)
        let encoded = parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.escape($0.value))" }.joined(separator: "&")
        return try await gateway.http(.GET, path + "?" + encoded, token: token ?? admin)
    }

    /// A call with a JSON body carrying `cluster_id`.
    func send(_ method: HTTPMethod, _ path: String, _ body: GaleJSON.JSONValue, token: String? = nil) async throws -> (
        status: Int, envelope: GaleJSON.JSONValue
    ) {
        var body = body
        body["cluster_id"] = .int(id)
        return try await gateway.http(method, path, token: token ?? admin, body: body)
    }

    /// A sensitive call done the way a console does it: ask, then repeat with the confirm token.
    func confirmed(_ method: HTTPMethod, _ path: String, _ body: GaleJSON.JSONValue) async throws -> GaleJSON.JSONValue {
        let (_, asked) = try await send(method, path, body)
        guard asked["code"]?.intValue == 1010, let token = asked["data"]?["confirm_token"] else { return asked }
        var confirmed = body
        confirmed["confirm_token"] = token
        return try await send(method, path, confirmed).envelope
    }

    /// Turns node terminals on for this cluster (an admin's confirmed registry update).
    func enableNodeTerminals() async throws {
        let path = "/clusters/\(id)"
        let (_, asked) = try await gateway.http(.PUT, path, token: admin, body: ["node_terminal": true])
        let token = asked["data"]?["confirm_token"] ?? .null
        let (_, done) = try await gateway.http(.PUT, path, token: admin, body: ["node_terminal": true, "confirm_token": token])
        guard done["data"]?["node_terminal"]?.boolValue == true else { throw TestFailure("cannot enable node terminals: \(done)") }
    }

    static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? value
    }
}
