import KubeClient

/// Keystroke round trips straight to the cluster's exec endpoint through KubeClient: the
/// baseline the gateway's terminal figures are compared with.
enum DirectExec {
    static func roundTrips(kubeconfig: String, namespace: String, pod: String, keystrokes: Int) async throws -> [UInt64]
    {
        let client = try KubeClient(target: try Kubeconfig(yaml: kubeconfig).resolve())
        let session = try await client.exec(
            namespace: namespace, pod: pod, options: ExecOptions(command: ["sh"], stdin: true, tty: true))
        var output = session.output.makeAsyncIterator()
        // The prompt first.
        _ = try await output.next()
        var samples: [UInt64] = []
        samples.reserveCapacity(keystrokes)
        for index in 0..<keystrokes {
            let key: UInt8 = index % 2 == 0 ? 0x61 : 0x7F
            let echo: [UInt8] = key == 0x61 ? [0x61] : [0x08, 0x20, 0x08]
            let start = Monotonic.nanoseconds()
            try await session.write(stdin: [key])
            var seen: [UInt8] = []
            while !seen.ends(with: echo) {
                guard let chunk = try await output.next() else { throw LoadSocketError("exec output ended") }
                seen += chunk.bytes
            }
            samples.append(Monotonic.nanoseconds() - start)
        }
        try? await session.close()
        try? await client.shutdown()
        return samples
    }
}
