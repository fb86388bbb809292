import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import NIOHTTP1
import NIOWebSocket
import Testing
import WSCore

/// Issue 9 point 4: inputs are bounded and checked before anything is built from them.
@Suite("Bounded parsing")
struct BoundedParsingTests {
    /// 10 levels of 10 aliases: under 1 KB of YAML, 10¹⁰ nodes once expanded.
    static let billionLaughs: String = {
        var yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: laughs}\nx0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            yaml += "x\(level): &x\(level) [" + (0..<10).map { _ in "*x\(level - 1)" }.joined(separator: ", ") + "]\n"
        }
        return yaml + "data: {bomb: *x9}\n"
    }()

    @Test("a YAML alias bomb is refused with 1001 at once, and nothing is created")
    func aliasBomb() async throws {
        #expect(Self.billionLaughs.utf8.count < 1024)
        try await SimCluster.with { cluster in
            let started = ContinuousClock.now
            let (status, refused) = try await cluster.send(
                .POST, "/configmaps", ["namespace": "default", "content": .string(Self.billionLaughs)])
            // Expanded, it would be a billion nodes: minutes and gigabytes. Refused before that, it
            // takes milliseconds; the bound leaves room for a loaded machine.
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(status == 400 && refused["code"]?.intValue == 1001)
            #expect(refused["msg"]?.stringValue?.contains("expands to more than") == true)
            let (_, missing) = try await cluster.get("/configmaps/laughs", ["namespace": "default"])
            #expect(missing["code"]?.intValue == 1004)
        }
    }

    @Test("names, namespaces and selectors are checked before a URL is built: 1001, never 5001")
    func parameterSyntax() async throws {
        try await SimCluster.with { cluster in
            let cases: [(path: String, query: [String: String], fragment: String)] = [
                ("/pods", ["namespace": "../secrets"], "DNS-1123 label"),
                ("/pods", ["namespace": "default", "labelSelector": "app in (web"], "not a label selector"),
                ("/pods", ["namespace": "default", "labelSelector": "app==web,,x"], "not a label selector"),
                ("/pods", ["namespace": "default", "fieldSelector": "status.phase"], "not a field selector"),
                ("/pods/x/logs", ["namespace": "default", "container": ".."], "may not be \"..\""),
            ]
            for item in cases {
                let (status, answer) = try await cluster.get(item.path, item.query)
                #expect(status == 400, "\(item)")
                #expect(answer["code"]?.intValue == 1001, "\(item): \(answer)")
                #expect(answer["msg"]?.stringValue?.contains(item.fragment) == true, "\(item): \(answer)")
            }
            // Valid selectors of every form still work.
            let (_, listed) = try await cluster.get(
                "/pods", ["namespace": "demo", "labelSelector": "app in (nginx, api),!canary,tier!=db,env", "pageSize": "5"])
            #expect(listed["code"]?.intValue == 0)
        }
    }

    @Test("a watch with a bad name or selector is refused at subscribe, no upstream watch is opened")
    func watchOptions() async throws {
        try await SimCluster.with { cluster in
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                for options: [String: JSONValue] in [
                    ["name": ".."], ["labelSelector": "a b c"], ["namespace": "Not_A_Label"],
                ] {
                    var subscribe: [String: JSONValue] = ["stream": "watch", "cluster": .int(cluster.id), "resource": "pods"]
                    subscribe.merge(options) { $1 }
                    let refused = await #expect(throws: SubscribeRefused.self) { _ = try await socket.subscribe(subscribe) }
                    #expect(refused?.code == .invalidArgument, "\(options)")
                }
                try await socket.outbound.close(.normalClosure, reason: nil)
            }
        }
    }
}
