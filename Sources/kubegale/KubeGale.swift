import ArgumentParser

@main
struct KubeGale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubegale",
        abstract: "KubeGale Realtime: live, multiplexed access to Kubernetes clusters for browsers.",
        subcommands: [Serve.self, Token.self, Sim.self]
    )
}
