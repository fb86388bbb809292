import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1

/// A tiny REST client for end-to-end tests against the simulator.
struct SimClient {
    let baseURL: String
    let token: String?

    init(_ server: KubeSimServer, token: String? = nil) {
        self.baseURL = server.url!
        self.token = token ?? server.token
    }

    func request(
        _ method: HTTPMethod, _ path: String, body: JSONValue? = nil, contentType: String = "application/json"
    ) async throws -> (status: Int, json: JSONValue) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body.jsonString))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        let json = (try? JSONValue(parsing: buffer.readableBytesView)) ?? .string(String(buffer: buffer))
        return (Int(response.status.code), json)
    }

    func get(_ path: String) async throws -> (status: Int, json: JSONValue) { try await request(.GET, path) }

    /// Opens a watch and delivers each JSON line; cancel the returned task to close the connection.
    func watch(_ path: String) -> (events: AsyncStream<JSONValue>, task: Task<Void, Never>) {
        let (stream, continuation) = AsyncStream<JSONValue>.makeStream()
        var request = HTTPClientRequest(url: baseURL + path)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let task = Task {
            defer { continuation.finish() }
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                var pending: [UInt8] = []
                for try await chunk in response.body {
                    pending += chunk.readableBytesView
                    while let newline = pending.firstIndex(of: 0x0A) {
                        let line = Array(pending[..<newline])
                        pending.removeFirst(newline + 1)
                        if let json = try? JSONValue(parsing: line) { continuation.yield(json) }
                    }
                }
            } catch {}
        }
        return (stream, task)
    }
}

extension AsyncStream where Element == JSONValue {
    /// The first element satisfying `predicate` within `timeout`, or `nil`.
    func first(timeout: Duration, where predicate: @escaping @Sendable (JSONValue) -> Bool) async -> JSONValue? {
        await withTaskGroup(of: JSONValue?.self) { group in
            group.addTask {
                for await element in self where predicate(element) { return element }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let result = await group.next() ?? nil
            group.cancelAll()
            return result
        }
    }
}
