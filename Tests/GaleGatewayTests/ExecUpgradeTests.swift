import KubeClient
import Testing

/// KubeClient's exec upgrade against KubeSim, which sends a short command's output, status and
/// close right behind the `101` and then closes: nothing of it may be lost.
@Suite(.timeLimit(.minutes(2)))
struct ExecUpgradeTests {
    @Test("200 short execs in a row: every one delivers its output and exit status")
    func shortCommandsLoseNothing() async throws {
        try await SimCluster.with { cluster in
            let pod = try await cluster.runningPod(label: "app=nginx")
            let client = try cluster.kubeClient()
            var failures: [String] = []
            for round in 0..<200 {
                do {
                    let session = try await client.exec(
                        namespace: "demo", pod: pod, options: .init(command: ["sh", "-c", "echo hello; exit \(round % 3)"]))
                    var output: [UInt8] = []
                    for try await chunk in session.output { output += chunk.bytes }
                    let status = try await session.exitStatus()
                    if output != Array("hello\n".utf8) || status.code != round % 3 {
                        failures.append("\(round): \(output.count) bytes, exit \(status.code)")
                    }
                } catch {
                    failures.append("\(round): \(error)")
                }
            }
            try await client.shutdown()
            #expect(failures.isEmpty, "\(failures.count) of 200 failed: \(failures.prefix(5))")
        }
    }
}
