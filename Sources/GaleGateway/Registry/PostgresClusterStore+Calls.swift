import Foundation
import GaleJSON
import Logging
import PostgresNIO

/// How every call reaches the database: within a timeout, with connection failures turned into
/// 5001 and statement failures told apart.
extension PostgresClusterStore {
    /// Runs `body` against the pool within the operation timeout. A database that cannot be
    /// reached in that time (or a connection lost under the call) is reported as 5001
    /// ``APIError/databaseUnavailable``; errors of the statements themselves pass through.
    /// A call whose connection was found dead before it ran is retried once on a fresh one.
    /// `within` shortens the wait for a call that must answer sooner (the readiness check).
    func perform<Result: Sendable>(
        within timeout: Duration? = nil, _ body: @escaping @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = self.client
        let deadline = ContinuousClock.now + (timeout ?? configuration.operationTimeout)
        var attempts = 0
        while true {
            attempts += 1
            do {
                return try await Self.withTimeout(deadline - .now) { try await body(client) }
            } catch let error where Self.isUnavailable(error) && !Task.isCancelled {
                if attempts == 1, Self.isStaleConnection(error) { continue }
                logger.warning("database unavailable", metadata: ["reason": "\(Self.plainReason(error))"])
                throw APIError.databaseUnavailable
            }
        }
    }

    /// `body`'s result, or ``TimedOut`` after `timeout` (the body is cancelled then).
    static func withTimeout<Result: Sendable>(
        _ timeout: Duration, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else { throw TimedOut() }
            return result
        }
    }

    struct TimedOut: Error {}

    /// Whether `error` says the database could not be reached or the connection was lost (rather
    /// than that a statement failed): the pool's own errors (its circuit breaker among them) and
    /// the driver's connection-level ones.
    private static func isUnavailable(_ error: any Error) -> Bool {
        switch error {
        case is TimedOut: true
        case let error as PSQLError:
            error.code != .server || error.serverInfo?[.sqlState].map(isUnavailableState) == true
        case let error as PostgresTransactionError:
            [error.beginError, error.closureError, error.commitError].contains { $0.map(isUnavailable) == true }
        case is PostgresDecodingError, is APIError, is ClusterStoreError, is DocumentStoreError, is ConfigurationError,
            is CancellationError, is JSONParseError:
            false
        default: true
        }
    }

    /// SQLSTATEs with which the server itself says it cannot serve: connection exceptions (08),
    /// insufficient resources such as too many connections (53), operator intervention such as
    /// a shutdown or a start in progress (57), and a database not accepting connections (55000).
    private static func isUnavailableState(_ state: String) -> Bool {
        state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57") || state == "55000"
    }

    /// The pool handed out a connection the server had already closed (it restarted).
    private static func isStaleConnection(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError:
            [.serverClosedConnection, .clientClosedConnection, .uncleanShutdown].contains(error.code)
        case let error as PostgresTransactionError: error.beginError.map(isStaleConnection) == true
        default: false
        }
    }

    static func isUniqueViolation(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError: error.serverInfo?[.sqlState] == "23505"
        case let error as PostgresTransactionError:
            error.closureError.map(isUniqueViolation) == true || error.commitError.map(isUniqueViolation) == true
        default: false
        }
    }

    /// Why a call failed, in words safe for a log: never the URL, SQL or server detail.
    static func plainReason(_ error: any Error) -> String {
        switch error {
        case is TimedOut: "no answer in time"
        case let error as PSQLError where error.code == .server:
            "server error \(error.serverInfo?[.sqlState] ?? "")"
        case let error as PSQLError: "\(error.code)"
        case let error as PostgresTransactionError:
            (error.beginError ?? error.closureError ?? error.commitError).map(plainReason) ?? "transaction failed"
        case let error as APIError: error.message
        case let error as ConfigurationError: error.description
        default: "cannot connect"
        }
    }
}
