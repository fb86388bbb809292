import Prometheus
import Synchronization

extension GatewayMetrics {
    /// Sets the gauges of current state from the parts that hold it; `/metrics` calls this before
    /// each exposition. Reads only counts, under each part's own lock or actor.
    func sample(sessions: LiveSessions, hub: WatchHub, connections: ClusterConnections) async {
        var channelCount = 0
        var attached = 0
        var detached = 0
        var frames = 0
        var bytes = 0
        var deepest = 0
        for session in sessions.all {
            channelCount += session.openChannelCount
            if let queue = session.queue {
                attached += 1
                let count = queue.count
                frames += count
                bytes += queue.bytes
                deepest = max(deepest, count)
            } else {
                detached += 1
            }
        }
        channels.set(Int64(channelCount))
        attachedSessions.set(Int64(attached))
        detachedSessions.set(Int64(detached))
        queuedFrames.set(Int64(frames))
        queuedBytes.set(Int64(bytes))
        deepestQueue.set(Int64(deepest))

        let watches = await hub.upstreamsByCluster
        setClusterGauges(
            Self.upstreamWatches, labels: ["cluster"],
            values: watches.map { cluster, count in ([String(cluster)], Double(count)) })
        let states = await connections.states
        setClusterGauges(
            Self.upstreamState, labels: ["cluster", "state"],
            values: states.flatMap { cluster, current in
                ClusterConnections.State.allCases.map { state in
                    ([String(cluster), state.rawValue], state == current ? 1.0 : 0.0)
                }
            })
    }

    /// Sets one gauge per label values of `family` and unregisters those of the previous sample
    /// that are no longer reported (a deleted cluster).
    private func setClusterGauges(_ family: MetricNameDescriptor, labels names: [String], values: [([String], Double)]) {
        let current = Set(values.map(\.0))
        let gone = clusterGaugeLabels.withLock { known in
            let gone = known[family.name, default: []].subtracting(current)
            known[family.name] = current
            return gone
        }
        for (labelValues, value) in values {
            registry.makeGauge(descriptor: family, labels: Array(zip(names, labelValues))).set(value)
        }
        for labelValues in gone {
            registry.unregisterGauge(registry.makeGauge(descriptor: family, labels: Array(zip(names, labelValues))))
        }
    }
}
