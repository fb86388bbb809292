import Foundation

/// The URL of a webhook, given by a user: `http` or `https` only, with a host, no user
/// information, and at most ``maxLength`` characters. Its query may carry a secret, so logs
/// show ``redacted`` only.
struct WebhookTarget: Sendable, Hashable {
    static let maxLength = 2048

    let url: URL

    init(_ text: String) throws(APIError) {
        guard text.utf8.count <= Self.maxLength else {
            throw .invalidArgument("parameter \"webhook_url\" is longer than \(Self.maxLength) characters")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty,
            components.user == nil, components.password == nil, let url = components.url
        else {
            throw .invalidArgument("parameter \"webhook_url\" must be an http or https URL with a host")
        }
        self.url = url
    }

    /// Scheme, host, port and path, without the query or fragment (where tokens go).
    var redacted: String { Self.redacted(url) }

    static func redacted(_ url: URL) -> String {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        components?.query = nil
        components?.fragment = nil
        return components?.string ?? "(webhook)"
    }
}
