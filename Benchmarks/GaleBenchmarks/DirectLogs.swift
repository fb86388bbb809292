import KubeClient

/// Follows a container log straight from the cluster through KubeClient: the baseline of the
/// gateway's log figures.
enum DirectLogs {
    static func follow(kubeconfig: String, namespace: String, pod: String, seconds: Double) async throws
        -> LogThroughputBenchmark.Flow
    {
        let client = try KubeClient(target: try Kubeconfig(yaml: kubeconfig).resolve())
        var flow = LogThroughputBenchmark.Flow()
        do {
            let stream = try await client.logs(
                namespace: namespace, pod: pod, options: LogOptions(follow: true, tailLines: 0))
            let start = ContinuousClock.now
            var measuring: ContinuousClock.Instant?
            for try await chunk in stream {
                let now = ContinuousClock.now
                if measuring == nil, now - start >= .seconds(1) { measuring = now }
                guard let measuring else { continue }
                flow.bytes += chunk.count
                flow.lines += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                if now - measuring >= .seconds(seconds) {
                    flow.seconds = (now - measuring).seconds
                    break
                }
            }
        } catch {
            flow.note = "failed: \(error)"
        }
        try? await client.shutdown()
        return flow
    }
}
