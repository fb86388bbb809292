import ArgumentParser
import GaleGateway

/// `serve` options about where the registry lives and how a replica leaves its load balancer.
struct StoreOptions: ParsableArguments {
    @Option(help: "Where the registry lives: sqlite (DATA_DIR/kubegale.sqlite) or postgres://user:password@host:port/database, shared by replicas; prefer the environment variable, which ps does not show. [env: KUBEGALE_DATABASE]")
    var database: String?

    @Option(help: "Seconds /readyz answers 503 on graceful shutdown before sockets are closed with 1001, so a load balancer drains the replica first. [env: KUBEGALE_DRAIN_DELAY]")
    var drainDelay: Int?

    func apply(to configuration: inout GatewayConfiguration, _ environment: Environment) throws {
        if let text = database ?? environment["DATABASE"] {
            do {
                configuration.database = try DatabaseLocation.parse(text)
            } catch let error as ConfigurationError {
                throw ValidationError(error.description)
            }
        }
        if let seconds = try drainDelay ?? environment.int("DRAIN_DELAY") {
            guard seconds >= 0 else { throw ValidationError("--drain-delay must not be negative") }
            configuration.drainDelay = .seconds(seconds)
        }
    }
}
