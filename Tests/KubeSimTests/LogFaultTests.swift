import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import Testing

/// The log-stream cut fault: open follow streams are counted, and a cut breaks each one mid-line
/// without ending its response, as a dropped connection does.
@Suite struct LogFaultTests {
    @Test func dropLogStreamsCutsFollowStreamsMidLine() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try #require(
                server.store.list(
                    ResourceCatalog.pods,
                    filter: ObjectFilter(namespace: "demo", labelSelector: try LabelSelector(parsing: "app=nginx"))
                ).items.first?[path: ["metadata", "name"]]?.stringValue)
            let client = SimClient(server)
            var request = HTTPClientRequest(
                url: "\(client.baseURL)/api/v1/namespaces/demo/pods/\(pod)/log?follow=true&timestamps=true")
            request.headers.add(name: "Authorization", value: "Bearer \(server.token)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok)

            var received: [UInt8] = []
            var iterator = response.body.makeAsyncIterator()
            while received.filter({ $0 == UInt8(ascii: "\n") }).count < 2, let chunk = try await iterator.next() {
                received += chunk.readableBytesView
            }
            #expect(server.faults.openLogStreamCount == 1)
            #expect(try await client.get("/_kubesim/log-streams").json["open"] == 1)

            #expect(try await client.request(.POST, "/_kubesim/faults/drop-log-streams").status == 200)
            #expect(server.faults.openLogStreamCount == 0)
            var ended = false
            do {
                while let chunk = try await iterator.next() { received += chunk.readableBytesView }
                ended = true
            } catch {
                // The connection closed in the middle of the response: not a clean end.
            }
            #expect(!ended)
            // The half line is sent before the connection closes, but a client may drop what it had
            // not read yet when the connection fails; when it arrives, it is a timestamped line's start.
            if received.last != UInt8(ascii: "\n") {
                let fragment = received.split(separator: UInt8(ascii: "\n")).last.map {
                    String(decoding: $0, as: UTF8.self)
                }
                #expect(fragment?.hasPrefix("20") == true)
            }

            // A new follow stream works and is counted again.
            let again = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            var next = again.body.makeAsyncIterator()
            _ = try await next.next()
            #expect(server.faults.openLogStreamCount == 1)
        }
    }
}
