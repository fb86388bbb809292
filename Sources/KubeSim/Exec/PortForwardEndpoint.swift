import Foundation
import GaleJSON
import HTTPTypes
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

/// `pods/NAME/portforward` over WebSocket, in the two ways clients ask for it: kubectl (1.31 and later) offers
/// `SPDY/3.1+portforward.k8s.io`, a SPDY/3.1 connection tunneled in binary messages that speaks the kubelet's
/// `portforward.k8s.io` protocol inside (``PortForwardSession``); the Python client offers `v4.channel.k8s.io`
/// with the ports in the query (``PortForwardChannelSession``). Every declared container port of the pod
/// answers with a ``SimulatedListener``; a port the pod does not declare is refused on its error stream.
struct PortForwardEndpoint: Sendable {
    let api: ClusterAPI
    let gate: RequestGate
    let streams: LiveStreams

    static let tunneledProtocol = "SPDY/3.1+portforward.k8s.io"

    struct Request: Sendable {
        let pod: JSONValue
        /// The listener on each declared container port.
        let listeners: [Int: SimulatedListener]
        /// The ports of the query, for the channel protocol; `nil` for the SPDY tunnel.
        let channelPorts: [Int]?
    }

    /// Whether an upgrade request is for this endpoint (rather than exec or attach).
    static func handles(_ head: HTTPRequest) -> Bool {
        let path = (head.path ?? "").split(separator: "?", maxSplits: 1).first ?? ""
        return path.hasSuffix("/portforward")
    }

    func shouldUpgrade(_ head: HTTPRequest) -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let request = try? parse(head) else { return .dontUpgrade }
        let streams = self.streams
        guard let ports = request.channelPorts else {
            return .upgrade([.secWebSocketProtocol: Self.tunneledProtocol]) { inbound, outbound, _ in
                try await PortForwardSession(request: request, streams: streams).run(inbound: inbound, outbound: outbound)
            }
        }
        return .upgrade([.secWebSocketProtocol: ChannelProtocol.v4.name]) { inbound, outbound, _ in
            try await PortForwardChannelSession(request: request, ports: ports, streams: streams).run(inbound: inbound, outbound: outbound)
        }
    }

    func parse(_ head: HTTPRequest) throws -> Request {
        let stream = try PodStreamRequest(head, gate: gate, subresources: ["portforward"])
        let (type, namespace, name) = (ResourceCatalog.pods, stream.namespace, stream.name)
        let offered = (head.headerFields[.secWebSocketProtocol] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var channelPorts: [Int]?
        if !offered.contains(Self.tunneledProtocol) {
            guard offered.contains(ChannelProtocol.v4.name) else { throw KubeStatusError.badRequest("no supported subprotocol") }
            let query = stream.query
            let texts = (query.all("ports") + query.all("port")).flatMap { $0.split(separator: ",") }
            let ports = texts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { (1...65535).contains($0) }
            guard !ports.isEmpty, ports.count == texts.count, Set(ports).count == ports.count, ports.count <= 64 else {
                throw KubeStatusError.badRequest("query parameter \"ports\" must list distinct ports between 1 and 65535")
            }
            channelPorts = ports
        }
        let pod = try api.store.get(type, namespace: namespace, name: name)
        guard pod[path: ["status", "phase"]]?.stringValue == "Running" else {
            throw KubeStatusError.badRequest("pod \(name) is not running")
        }
        var listeners: [Int: SimulatedListener] = [:]
        for container in pod[path: ["spec", "containers"]]?.arrayValue ?? [] {
            for port in container["ports"]?.arrayValue ?? [] {
                guard let number = port["containerPort"]?.integer, (port["protocol"]?.stringValue ?? "TCP") == "TCP" else { continue }
                listeners[number] = SimulatedListener(
                    namespace: namespace ?? "default", pod: name, container: container["name"]?.stringValue ?? "", port: number)
            }
        }
        return Request(pod: pod, listeners: listeners, channelPorts: channelPorts)
    }
}
