import Foundation

/// How requests to an API server authenticate. `description` names the method, never the secret.
public struct KubeCredentials: Sendable, CustomStringConvertible {
    enum Method: Sendable {
        case none
        case bearerToken(String)
        case tokenFile(String)
        case basic(username: String, password: String)
        case exec(ExecCredentialPlugin)
    }

    /// What a request needs from the credentials at the time it is sent.
    struct Authorization: Sendable {
        /// Value of the `Authorization` header, if any.
        var header: String?
        /// Client certificate and key supplied by an exec plugin, overriding the target's.
        var clientCertificatePEM: [UInt8]?
        var clientKeyPEM: [UInt8]?
    }

    let method: Method

    /// No authentication beyond a client certificate, if the target has one.
    public static var none: Self { .init(method: .none) }
    /// A static bearer token (`token`).
    public static func bearerToken(_ token: String) -> Self { .init(method: .bearerToken(token)) }
    /// A file holding a bearer token, re-read for every request so rotated tokens are picked up (`tokenFile`).
    public static func tokenFile(path: String) -> Self { .init(method: .tokenFile(path)) }
    /// HTTP basic authentication (`username`/`password`).
    public static func basic(username: String, password: String) -> Self {
        .init(method: .basic(username: username, password: password))
    }
    /// An exec credential plugin (`exec`), whose output is cached until it expires.
    public static func exec(_ plugin: ExecCredentialPlugin) -> Self { .init(method: .exec(plugin)) }

    /// The exec plugin, when these credentials use one.
    public var execPlugin: ExecCredentialPlugin? {
        if case .exec(let plugin) = method { return plugin }
        return nil
    }

    public var description: String {
        switch method {
        case .none: "none"
        case .bearerToken: "bearer token"
        case .tokenFile(let path): "token file \(path)"
        case .basic(let username, _): "basic (\(username))"
        case .exec(let plugin): "exec plugin \(plugin.configuration.command)"
        }
    }

    /// Produces what the next request needs; runs the exec plugin when its cached credential is stale.
    func authorization() async throws -> Authorization {
        switch method {
        case .none:
            return Authorization()
        case .bearerToken(let token):
            return Authorization(header: "Bearer \(token)")
        case .tokenFile(let path):
            guard let data = FileManager.default.contents(atPath: path),
                let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                !token.isEmpty
            else {
                throw KubeconfigError.unreadableFile(field: "tokenFile", path: path)
            }
            return Authorization(header: "Bearer \(token)")
        case .basic(let username, let password):
            let encoded = Data("\(username):\(password)".utf8).base64EncodedString()
            return Authorization(header: "Basic \(encoded)")
        case .exec(let plugin):
            let credential = try await plugin.credential()
            return Authorization(
                header: credential.token.map { "Bearer \($0)" },
                clientCertificatePEM: credential.clientCertificatePEM,
                clientKeyPEM: credential.clientKeyPEM
            )
        }
    }

    /// Forgets cached exec credentials after the server answered 401. Returns whether a retry can help.
    func invalidate() async -> Bool {
        guard case .exec(let plugin) = method else { return false }
        await plugin.invalidate()
        return true
    }
}
