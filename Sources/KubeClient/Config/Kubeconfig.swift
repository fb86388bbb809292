import Foundation
import Yams

/// A parsed kubeconfig: clusters, users and the contexts that pair them.
///
/// Parsing checks the document's shape; ``resolve(context:)`` checks one context in depth
/// (server URL, files, base64 data, PEM contents) and returns a ``KubeTarget``.
public struct Kubeconfig: Sendable {
    struct Cluster: Sendable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify = false
        var tlsServerName: String?
    }

    struct User: Sendable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var username: String?
        var password: String?
        var exec: Exec?
        var authProvider: String?
    }

    struct Exec: Sendable {
        var command: String
        var arguments: [String]
        var environment: [String: String]
        var apiVersion: String
        var interactiveMode: String
        var provideClusterInfo: Bool
    }

    struct Context: Sendable {
        var cluster: String
        var user: String
        var namespace: String?
    }

    /// The `current-context`, if set.
    public let currentContext: String?
    /// Names of all contexts, in document order.
    public let contextNames: [String]
    let clusters: [String: Cluster]
    let users: [String: User]
    let contexts: [String: Context]
    /// Folder that relative file paths and exec commands are resolved against.
    let baseDirectory: String?

    /// Parses a kubeconfig YAML (or JSON) document. Throws ``KubeconfigError`` with a human-readable reason.
    ///
    /// - Parameters:
    ///   - yaml: The document text.
    ///   - baseDirectory: Folder relative paths (`certificate-authority`, `tokenFile`, exec `command`) are
    ///     resolved against, normally the kubeconfig file's folder; `nil` means the current directory.
    public init(yaml: String, baseDirectory: String? = nil) throws {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw KubeconfigError.invalidDocument("the document is empty")
            }
            root = node
        } catch let error as YamlError {
            throw KubeconfigError.invalidYAML(Self.describe(error))
        }
        // Aliases are expanded as the fields are read: a document that expands past the budget is
        // refused before it is walked.
        do {
            try YAMLBudget.standard.check(root)
        } catch let error as YAMLContentError {
            throw KubeconfigError.invalidDocument(error.description)
        }
        let reader = KubeconfigNodeReader()
        guard root.mapping != nil else {
            throw KubeconfigError.invalidDocument("the top level is not a mapping")
        }
        self.currentContext = try reader.string(root["current-context"], "current-context").flatMap {
            $0.isEmpty ? nil : $0
        }
        self.clusters = try reader.namedEntries(root, "clusters", inner: "cluster").mapValues(reader.cluster)
        self.users = try reader.namedEntries(root, "users", inner: "user").mapValues(reader.user)
        let contextList = try reader.namedEntryList(root, "contexts", inner: "context")
        var contexts: [String: Context] = [:]
        var names: [String] = []
        for (name, node, path) in contextList where contexts[name] == nil {
            contexts[name] = try reader.context(node, path)
            names.append(name)
        }
        self.contexts = contexts
        self.contextNames = names
        self.baseDirectory = baseDirectory
    }

    /// Reads and parses a kubeconfig file; relative paths inside it are resolved against its folder.
    public init(contentsOfFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubeconfigError.unreadableFile(field: "kubeconfig", path: path)
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try self.init(yaml: String(decoding: data, as: UTF8.self), baseDirectory: directory)
    }

    /// Describes a YAML error by position only: Yams' own description quotes the document, which may hold secrets.
    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return "\(problem) at line \(mark.line), column \(mark.column)"
        case .reader(let problem, let offset, _, _):
            return offset.map { "\(problem) at offset \($0)" } ?? problem
        case .duplicatedKeysInMapping(_, let context):
            return "duplicated keys in a mapping at line \(context.mark.line), column \(context.mark.column)"
        default:
            return "the parser failed"
        }
    }
}
