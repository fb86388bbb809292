import Foundation
import GaleGateway
import GaleJSON
import GaleProtocol
import KubeSim
import Testing

/// `logs` channels on the multiplexed socket.
@Suite(.timeLimit(.minutes(2)))
struct LiveLogChannelTests {
    @Test("A logs subscription sends LOG events attributed to pod and container, in time order, with seq")
    func tailAndFollow() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let channel = try await socket.subscribe([
                    "stream": "logs", "cluster": .int(cluster.id), "namespace": "demo", "name": .string(pod),
                    "tailLines": 3, "follow": true,
                ])
                var lines: [ServerFrame.Event] = []
                while lines.count < 5 {
                    if case .event(let event) = try await socket.receive(), event.channel == channel { lines.append(event) }
                }
                #expect(lines.map(\.seq) == [1, 2, 3, 4, 5])
                #expect(lines.allSatisfy { $0.event == "LOG" && $0.fields["pod"]?.stringValue == pod })
                let times = lines.compactMap { $0.fields["time"]?.stringValue }.map(Self.seconds)
                #expect(times.count == 5)
                #expect(times == times.sorted())
                try await socket.send(.unsubscribe(channel: channel))
                try await socket.receive { if case .unsubscribed(channel, _) = $0 { true } else { false } }
            }
        }
    }

    /// Seconds since the epoch of an RFC 3339 UTC time with or without a fraction
    /// (`…:23Z`, `…:23.5Z`), which do not sort as text.
    static func seconds(_ text: String) -> Double {
        let parts = text.dropLast().split(separator: ".", maxSplits: 1)
        let whole = (try? Date(String(parts[0]) + "Z", strategy: .iso8601))?.timeIntervalSince1970 ?? 0
        return whole + (parts.count > 1 ? Double("0." + parts[1]) ?? 0 : 0)
    }

    @Test("A logs subscription for a missing pod is refused with 1004; a bad option with 1001")
    func refusals() async throws {
        try await SimCluster.with { cluster in
            try await cluster.gateway.socket(.init(token: cluster.admin)) { socket in
                _ = try await socket.hello()
                let id = GaleJSON.JSONValue.int(cluster.id)
                func refusal(_ options: [String: GaleJSON.JSONValue]) async throws -> ErrorCode? {
                    do {
                        _ = try await socket.subscribe(options)
                        return nil
                    } catch let refused as SubscribeRefused {
                        return refused.code
                    }
                }
                #expect(try await refusal(["stream": "logs", "cluster": id, "namespace": "demo", "name": "nope"]) == .resourceNotFound)
                #expect(
                    try await refusal(["stream": "logs", "cluster": id, "namespace": "demo", "name": "x", "tailLines": -1])
                        == .invalidArgument)
            }
        }
    }
}
