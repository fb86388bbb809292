public import Prometheus

/// The gateway's Prometheus metrics, on a registry of its own (no global state, so several
/// gateways can run in one process, as the tests do).
public final class GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    let connections: Gauge
    let channels: Gauge
    let framesIn: Counter
    let slowConsumers: Counter
    let framesOut: Counter
    let bytesIn: Counter
    let bytesOut: Counter
    let deflateInputBytes: Counter
    let deflateOutputBytes: Counter
    let inflateInputBytes: Counter
    let inflateOutputBytes: Counter

    private static let latencyBuckets: [Duration] = [
        .microseconds(250), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100),
        .milliseconds(500), .seconds(2), .seconds(10),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "kubegale", metricName: metric, unitName: unit, helpText: help)
        }
        connections = registry.makeGauge(descriptor: name("websocket", "connections", "Open WebSocket connections."))
        channels = registry.makeGauge(descriptor: name("channels", "open", "Open channels over all sockets."))
        slowConsumers = registry.makeCounter(
            descriptor: name("slow_consumers", "total", "Sockets closed with 4008 because the client did not keep up.")
        )
        framesIn = registry.makeCounter(descriptor: name("frames_received", "total", "WebSocket messages received."))
        framesOut = registry.makeCounter(descriptor: name("frames_sent", "total", "WebSocket messages sent."))
        bytesIn = registry.makeCounter(
            descriptor: name("payload_received", "bytes_total", "WebSocket payload bytes received, uncompressed.")
        )
        bytesOut = registry.makeCounter(
            descriptor: name("payload_sent", "bytes_total", "WebSocket payload bytes sent, uncompressed.")
        )
        deflateInputBytes = registry.makeCounter(
            descriptor: name("deflate_input", "bytes_total", "Bytes handed to permessage-deflate for sending.")
        )
        deflateOutputBytes = registry.makeCounter(
            descriptor: name("deflate_output", "bytes_total", "Bytes permessage-deflate put on the wire.")
        )
        inflateInputBytes = registry.makeCounter(
            descriptor: name("inflate_input", "bytes_total", "Compressed bytes received with permessage-deflate.")
        )
        inflateOutputBytes = registry.makeCounter(
            descriptor: name("inflate_output", "bytes_total", "Bytes permessage-deflate produced from them.")
        )
    }

    /// Records how long one operation took, labelled by operation, transport and result code.
    func recordRequest(operation: String, transport: String, code: Int, duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "kubegale",
                metricName: "request_duration",
                unitName: "seconds",
                helpText: "API operation latency by operation, transport and result code."
            ),
            labels: [("operation", operation), ("transport", transport), ("code", String(code))],
            buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// The exposition text for `/metrics`.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
