import ServiceLifecycle

/// Re-probes every registered cluster on an interval, so that cached connection states follow
/// reality: a cluster that went down is reported as such, one that came back is used again.
struct ClusterProber: Service {
    let connections: ClusterConnections
    let store: any ClusterStore
    let interval: Duration

    func run() async throws {
        // Graceful shutdown cancels the loop; that is its normal end, not a failure.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await probeAll()
                try await Task.sleep(for: interval)
            }
        }
    }

    private func probeAll() async {
        var offset = 0
        while let (records, total) = try? await store.list(keyword: nil, ids: nil, offset: offset, limit: 100),
            !records.isEmpty
        {
            await withTaskGroup(of: Void.self) { group in
                for record in records {
                    group.addTask { await connections.probe(record) }
                }
            }
            offset += records.count
            if offset >= total { break }
        }
    }
}
