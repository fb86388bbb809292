import ArgumentParser
import Foundation
import KubeSim
import Logging
import ServiceLifecycle
import UnixSignals

/// `kubegale sim`: runs KubeSim, the simulated Kubernetes API server, on its own.
struct Sim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run KubeSim, a simulated Kubernetes API server.")

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 6443

    @Option(help: "Write a kubeconfig for the simulator to this file (mode 0600).")
    var kubeconfigOut: String?

    @Option(help: "Bearer token clients must present (default: random).")
    var token: String?

    @Flag(help: "Serve plain HTTP instead of HTTPS with a generated certificate authority.")
    var plainHTTP = false

    @Flag(help: "Start empty instead of with the demo namespaces, workloads and nodes.")
    var noSeed = false

    @Option(help: "Keep the cluster in this directory: loaded at start, saved as it changes and at exit.")
    var stateDir: String?

    @Option(help: "Add this many running pods for benchmarks (in namespaces scale-0, scale-1, ...).")
    var pods = 0

    func validate() throws {
        guard pods >= 0 else { throw ValidationError("--pods must be 0 or more") }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let server = KubeSimServer(
            configuration: .init(
                host: host, port: port, token: token, seedDemoData: !noSeed, tls: !plainHTTP, stateDirectory: stateDir,
                scalePods: pods),
            logger: Logger(label: "kubesim")
        )
        let bound = try await server.start()
        if let kubeconfigOut { try server.writeKubeconfig(to: kubeconfigOut) }
        var lines = ["KubeSim listening on \(server.url ?? "port \(bound)")"]
        if let kubeconfigOut { lines.append("  kubeconfig: \(kubeconfigOut)   (kubectl --kubeconfig \(kubeconfigOut) get pods -A)") }
        if let stateDir { lines.append("  state: \(stateDir)   (kept across restarts)") }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        let group = ServiceGroup(
            services: [Stopper(server: server)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "kubesim")
        )
        try await group.run()
    }

    /// Keeps the simulator running until graceful shutdown, then stops it.
    private struct Stopper: Service {
        let server: KubeSimServer

        func run() async throws {
            try? await gracefulShutdown()
            await server.stop()
        }
    }
}
