public import Foundation

/// Where the gateway keeps its registry: the embedded SQLite file of the data directory (the
/// default, for one process), or a PostgreSQL database that several gateway replicas share.
public struct DatabaseLocation: Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case embedded
        case postgres(PostgresLocation)
    }

    let kind: Kind

    /// `kubegale.sqlite` in the data directory.
    public static let embedded = DatabaseLocation(kind: .embedded)

    /// A PostgreSQL database named by a URL:
    /// `postgres://user:password@host:port/database?sslmode=disable|prefer|require`
    /// (`postgresql://` too; port 5432, user `postgres` and database = user when left out;
    /// `?host=/path` for a Unix socket directory). The password never appears in ``description``.
    public static func postgres(url: String) throws -> DatabaseLocation {
        DatabaseLocation(kind: .postgres(try PostgresLocation(url: url)))
    }

    /// `--database` as a user gives it: empty or `sqlite` for the embedded store, a
    /// `postgres://` URL otherwise.
    public static func parse(_ text: String) throws -> DatabaseLocation {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed == "sqlite" { return .embedded }
        return try .postgres(url: trimmed)
    }

    /// Whether other gateway processes may share this store (and so its tickets, nonces and
    /// registry changes).
    public var isShared: Bool {
        if case .postgres = kind { return true }
        return false
    }

    /// Safe to log: no password.
    public var description: String {
        switch kind {
        case .embedded: "sqlite (data directory)"
        case .postgres(let location): location.description
        }
    }
}

/// The parts of a `postgres://` URL.
struct PostgresLocation: Sendable, CustomStringConvertible {
    enum TLSMode: String, Sendable {
        case disable
        case prefer
        case require
    }

    var host: String
    var port: Int
    /// A directory holding the server's Unix socket (`?host=/run/postgresql`), instead of TCP.
    var socketDirectory: String?
    var username: String
    var password: String?
    var database: String
    var tls: TLSMode

    init(url: String) throws {
        // Never quote the URL in an error: it may carry a password.
        guard let components = URLComponents(string: url),
            let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql"
        else {
            throw ConfigurationError("--database must be sqlite or a postgres://user:password@host:port/database URL")
        }
        let query = components.queryItems ?? []
        func item(_ name: String) -> String? { query.first { $0.name == name }?.value }
        socketDirectory = item("host").flatMap { $0.hasPrefix("/") ? $0 : nil }
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw ConfigurationError("the database URL's port is out of range") }
        username = components.user.flatMap { $0.removingPercentEncoding }.flatMap { $0.isEmpty ? nil : $0 } ?? "postgres"
        password = components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 } ?? username
        guard !database.contains("/") else { throw ConfigurationError("the database URL names no single database") }
        let mode = item("sslmode") ?? "prefer"
        switch mode {
        case "disable", "allow": tls = .disable
        case "prefer": tls = .prefer
        case "require", "verify-ca", "verify-full": tls = .require
        default: throw ConfigurationError("the database URL's sslmode must be disable, prefer or require")
        }
    }

    /// `postgres://user@host:port/database`, without the password.
    var description: String {
        let place = socketDirectory.map { "[\($0)]" } ?? "\(host):\(port)"
        return "postgres://\(username)@\(place)/\(database)"
    }
}
