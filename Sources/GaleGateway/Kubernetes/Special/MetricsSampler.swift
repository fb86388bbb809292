import Foundation
import KubeClient
import Logging
import ServiceLifecycle

/// Samples every registered, reachable cluster on an interval into a ``MetricsHistory``, which
/// `GET /metrics/stats` answers from.
struct MetricsSampler: Service {
    /// How often and for how long samples are kept.
    struct Configuration: Sendable {
        /// Time between two samples of a cluster.
        var interval: Duration
        /// How far back the history reaches (the longest `time_range` that can be answered in full).
        var retention: Duration

        init(interval: Duration = .seconds(30), retention: Duration = .seconds(24 * 3600)) {
            self.interval = interval
            self.retention = retention
        }

        /// Samples kept per cluster: the retention divided by the interval.
        var capacity: Int {
            let interval = max(
                Double(self.interval.components.seconds) + Double(self.interval.components.attoseconds) / 1e18, 0.001)
            return max(1, Int((Double(retention.components.seconds) / interval).rounded(.up)))
        }
    }

    let connections: ClusterConnections
    let store: any ClusterStore
    let history: MetricsHistory
    let configuration: Configuration
    let logger: Logger

    func run() async throws {
        // Graceful shutdown cancels the loop; that is its normal end, not a failure.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sampleAll()
                try await Task.sleep(for: configuration.interval)
            }
        }
    }

    /// Takes one sample of every registered cluster that is not known to be down; clusters that
    /// cannot be sampled are skipped this round, and clusters no longer registered are forgotten.
    func sampleAll() async {
        var records: [ClusterRecord] = []
        do {
            while true {
                let (page, total) = try await store.list(keyword: nil, ids: nil, offset: records.count, limit: 100)
                records += page
                if page.isEmpty || records.count >= total { break }
            }
        } catch {
            logger.error("cannot list clusters to sample", metadata: ["error": "\(error)"])
            return
        }
        history.retain(clusters: Set(records.map(\.id)))
        await withTaskGroup(of: Void.self) { group in
            for record in records {
                group.addTask { await sample(record) }
            }
        }
    }

    private func sample(_ record: ClusterRecord) async {
        do {
            let client = try await connections.client(for: record, as: nil)
            history.record(try await ClusterSample.take(client), cluster: record.id)
        } catch {
            logger.debug("cluster not sampled", metadata: ["cluster.id": "\(record.id)", "error": "\(error)"])
        }
    }
}
