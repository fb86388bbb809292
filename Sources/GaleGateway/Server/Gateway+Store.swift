import Crypto
import Foundation
import Logging

extension Gateway {
    /// The registry's store: SQLite in `directory`, or the shared PostgreSQL database (migrated
    /// before it is used).
    static func openStore(
        _ location: DatabaseLocation, directory: URL, configuration: GatewayConfiguration, sealer: KubeconfigSealer,
        logger: Logger
    ) async throws -> any ClusterStore {
        switch location.kind {
        case .embedded:
            return try SQLiteClusterStore(path: directory.appendingPathComponent("kubegale.sqlite").path)
        case .postgres:
            logger.info("registry on a shared database", metadata: ["database": "\(location)"])
            // Replicas must agree on these two; generated ones differ per data directory.
            if configuration.sealKey == nil {
                logger.warning("the seal key comes from this data directory: give every replica the same KUBEGALE_SEAL_KEY")
            }
            if configuration.jwtSecret == nil, configuration.jwtPublicKeyPEM == nil, configuration.jwt.jwksJSON == nil {
                logger.warning("the JWT secret comes from this data directory: give every replica the same --jwt-secret")
            }
            return try await PostgresClusterStore(location: location, sealKeyCheck: sealer.check, logger: logger)
        }
    }

    /// Terminal tickets and confirmation tokens: in this process's memory for a store of its own;
    /// signed with keys derived from the seal key and used once across replicas for a shared one.
    static func singleUseGates(store: any ClusterStore, sealKey: Data) -> (TerminalTickets, ConfirmationGate) {
        guard let ledger = store.sharedNonces else { return (TerminalTickets(), ConfirmationGate()) }
        let tickets = TerminalTickets(
            shared: SharedTickets(key: SharedTickets.derivedKey(from: sealKey, purpose: "terminal-ticket"), ledger: ledger))
        let confirmations = ConfirmationGate(
            key: SharedTickets.derivedKey(from: sealKey, purpose: "confirmation"), ledger: ledger)
        return (tickets, confirmations)
    }
}
