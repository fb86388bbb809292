public import Prometheus
import Synchronization

/// The gateway's Prometheus metrics, on a registry of its own (no global state, so several
/// gateways can run in one process, as the tests do).
///
/// Counters move where their event happens; gauges of current state (channels, sessions, queues,
/// upstream watches and cluster states) are sampled from the parts that hold that state at each
/// scrape (``sample(sessions:hub:connections:)``), so they cannot drift from it. The README lists them.
public final class GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    let connections: Gauge
    let channels: Gauge
    let framesIn: Counter
    /// Sockets closed with 4008 (slow consumer).
    let slowConsumers: Counter
    let framesOut: Counter
    let bytesIn: Counter
    let bytesOut: Counter
    let deflateInputBytes: Counter
    let deflateOutputBytes: Counter
    let inflateInputBytes: Counter
    let inflateOutputBytes: Counter
    /// `hello` frames that resumed an earlier session.
    let sessionResumes: Counter
    /// `hello` frames naming a session that could not be resumed (expired, unknown, another subject's).
    let sessionResumeMisses: Counter
    /// Watch subscriptions that asked to resume from a resourceVersion.
    let watchResumes: Counter
    /// Watch changes merged into (or cancelled against) a change of the same object still waiting
    /// for a lagging subscriber.
    let conflations: Counter
    let attachedSessions: Gauge
    let detachedSessions: Gauge
    let queuedFrames: Gauge
    let queuedBytes: Gauge
    let deepestQueue: Gauge

    /// Label values of the per-cluster gauges set at the last sample, by family name: a cluster no
    /// longer reported is unregistered rather than left at its last value.
    let clusterGaugeLabels = Mutex<[String: Set<[String]>]>([:])

    private static let latencyBuckets: [Duration] = [
        .microseconds(250), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100),
        .milliseconds(500), .seconds(2), .seconds(10),
    ]

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "kubegale", metricName: metric, unitName: unit, helpText: help)
    }

    /// Upstream watches open, by cluster.
    static var upstreamWatches: MetricNameDescriptor {
        name("upstream_watches", "open", "Shared upstream watches open, by cluster.")
    }
    /// One gauge per cluster and state, 1 for the cluster's current state.
    static var upstreamState: MetricNameDescriptor {
        name("upstream", "state", "Connection state of each cluster: 1 for its current state (unknown, active, unreachable).")
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let name = Self.name
        connections = registry.makeGauge(descriptor: name("websocket", "connections", "Open WebSocket connections."))
        channels = registry.makeGauge(descriptor: name("channels", "open", "Open channels over all sessions, detached ones included."))
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
        let resumes = name(
            "session_resumes", "total", "Hello frames naming an earlier session: resumed, or missed (no longer resumable).")
        sessionResumes = registry.makeCounter(descriptor: resumes, labels: [("result", "resumed")])
        sessionResumeMisses = registry.makeCounter(descriptor: resumes, labels: [("result", "missed")])
        watchResumes = registry.makeCounter(
            descriptor: name("watch_resumes", "total", "Watch subscriptions that asked to resume from a resourceVersion."))
        conflations = registry.makeCounter(
            descriptor: name(
                "watch_conflations", "total",
                "Watch changes merged into a waiting change of the same object because the subscriber lagged."))
        let sessions = name("sessions", "", "Live sessions: attached to a socket, or detached and kept for resume.")
        attachedSessions = registry.makeGauge(descriptor: sessions, labels: [("state", "attached")])
        detachedSessions = registry.makeGauge(descriptor: sessions, labels: [("state", "detached")])
        queuedFrames = registry.makeGauge(
            descriptor: name("outbound_queued", "frames", "Frames waiting in the outbound queues of all sockets."))
        queuedBytes = registry.makeGauge(
            descriptor: name("outbound_queued", "bytes", "Bytes waiting in the outbound queues of all sockets."))
        deepestQueue = registry.makeGauge(
            descriptor: name("outbound_queue_deepest", "frames", "Frames waiting in the fullest outbound queue."))
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
