import Foundation

/// `kubegale serve` in a process of its own, as it runs in production: the benchmark's process
/// keeps the load clients, the producer and KubeSim, and the gateway's CPU time and memory are
/// read from `/proc/PID` as a peer's are.
///
/// The binary is `KUBEGALE_BENCH_GATEWAY` when set, else the `kubegale` next to this
/// `kubegale-bench` (both built with `-c release --scratch-path .build-release`). The process
/// inherits this one's open-file limit (`ulimit -n`, raised by scripts/bench.sh).
struct GatewayProcess: Sendable {
    /// What a benchmark changes in the gateway's settings; everything else is `serve`'s default.
    struct Configuration: Sendable {
        /// `--watch-linger` in seconds; `nil` keeps the default.
        var watchLingerSeconds: Int?
        /// `false` adds `--no-list-cache`: every paged list is a LIST upstream.
        var listCache: Bool
        /// `--memory-trim-interval` in seconds; `nil` keeps the default (30 s).
        var memoryTrimSeconds: Int?

        init(watchLingerSeconds: Int? = nil, listCache: Bool = true, memoryTrimSeconds: Int? = nil) {
            self.watchLingerSeconds = watchLingerSeconds
            self.listCache = listCache
            self.memoryTrimSeconds = memoryTrimSeconds
        }
    }

    let pid: Int32
    let port: Int
    /// A 12-hour admin token minted by the gateway at start (`--admin-token-file`).
    let token: String
    private let child: ChildProcess
    private let directory: URL

    /// The gateway's CPU time so far (user + system), in nanoseconds.
    var cpuNanoseconds: UInt64? { ProcessStats.cpuNanoseconds(pid: String(pid)) }

    /// The gateway's resident set size in KiB.
    var residentKiB: Int? { ProcessStats.residentKiB(pid: String(pid)) }

    /// Starts the gateway on a free port of 127.0.0.1 with a fresh data directory and quotas
    /// high enough for one user's thousands of sockets; returns once it listens.
    static func start(_ configuration: Configuration = .init()) async throws -> GatewayProcess {
        let binary = try Self.binary()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kubegale-bench-gateway-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tokenFile = directory.appendingPathComponent("admin-token")
        var arguments = [
            "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", directory.path, "--no-demo", "--no-console",
            "--log-level", "error", "--admin-token-file", tokenFile.path,
            // KubeSim serves plain HTTP here, and every load socket is the one bench user's.
            "--allow-kubeconfig-insecure", "--max-sockets", "1000000", "--max-sockets-per-user", "1000000",
            "--max-channels-per-user", "10000000", "--max-detached-sessions", "1000000",
        ]
        if let seconds = configuration.watchLingerSeconds { arguments += ["--watch-linger", String(seconds)] }
        if !configuration.listCache { arguments.append("--no-list-cache") }
        if let seconds = configuration.memoryTrimSeconds { arguments += ["--memory-trim-interval", String(seconds)] }

        let child = try ChildProcess(executable: binary, arguments: arguments)
        var lines = ChildLines(iterator: child.lines.makeAsyncIterator())
        let announcement: String
        do {
            announcement = try await lines.expect("KubeGale Realtime listening on ")
        } catch {
            await child.terminate()
            throw LoadSocketError("\(binary.path) serve did not start: \(error)")
        }
        // "KubeGale Realtime listening on http://127.0.0.1:PORT"; the token file is written first.
        guard let port = announcement.split(separator: ":").last.flatMap({ Int($0) }),
            let token = try? String(contentsOf: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            !token.isEmpty
        else {
            await child.terminate()
            throw LoadSocketError("cannot read the gateway's port or admin token from \"\(announcement)\"")
        }
        return GatewayProcess(pid: child.pid, port: port, token: token, child: child, directory: directory)
    }

    /// Stops the gateway (SIGTERM, graceful shutdown) and removes its data directory.
    func stop() async {
        await child.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func binary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["KUBEGALE_BENCH_GATEWAY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let sibling = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("kubegale")
        guard FileManager.default.isExecutableFile(atPath: sibling.path) else {
            throw LoadSocketError(
                "no gateway binary at \(sibling.path): build it with --product kubegale or set KUBEGALE_BENCH_GATEWAY")
        }
        return sibling
    }
}
