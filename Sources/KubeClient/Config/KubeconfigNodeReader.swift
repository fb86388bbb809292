import Yams

/// Reads kubeconfig entries out of YAML nodes, turning type mismatches into ``KubeconfigError``s
/// that name the field path (never its value).
struct KubeconfigNodeReader {
    func isNull(_ node: Node?) -> Bool {
        guard let node else { return true }
        guard let scalar = node.scalar else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func string(_ node: Node?, _ path: String) throws -> String? {
        if isNull(node) { return nil }
        guard let scalar = node?.scalar else { throw KubeconfigError.invalidField(path, reason: "is not a string") }
        return scalar.string
    }

    func bool(_ node: Node?, _ path: String) throws -> Bool? {
        if isNull(node) { return nil }
        guard let value = node?.bool else { throw KubeconfigError.invalidField(path, reason: "is not a boolean") }
        return value
    }

    func mapping(_ node: Node?, _ path: String) throws -> Node? {
        if isNull(node) { return nil }
        guard let node, node.mapping != nil else {
            throw KubeconfigError.invalidField(path, reason: "is not a mapping")
        }
        return node
    }

    func sequence(_ node: Node?, _ path: String) throws -> [Node] {
        if isNull(node) { return [] }
        guard let sequence = node?.sequence else { throw KubeconfigError.invalidField(path, reason: "is not a list") }
        return Array(sequence)
    }

    /// `clusters: [{name: x, cluster: {...}}]` as (name, inner mapping, path) in document order.
    func namedEntryList(_ root: Node, _ key: String, inner: String) throws -> [(String, Node, String)] {
        var entries: [(String, Node, String)] = []
        for (index, entry) in try sequence(root[key], key).enumerated() {
            guard entry.mapping != nil else {
                throw KubeconfigError.invalidField("\(key)[\(index)]", reason: "is not a mapping")
            }
            guard let name = try string(entry["name"], "\(key)[\(index)].name"), !name.isEmpty else {
                throw KubeconfigError.invalidField("\(key)[\(index)]", reason: "has no name")
            }
            let path = "\(key)[\"\(name)\"].\(inner)"
            let body = try mapping(entry[inner], path) ?? Node.mapping([:])
            entries.append((name, body, path))
        }
        return entries
    }

    /// Like ``namedEntryList(_:_:inner:)`` keyed by name; the first entry of a name wins, as in client-go.
    func namedEntries(_ root: Node, _ key: String, inner: String) throws -> [String: (Node, String)] {
        var entries: [String: (Node, String)] = [:]
        for (name, node, path) in try namedEntryList(root, key, inner: inner) where entries[name] == nil {
            entries[name] = (node, path)
        }
        return entries
    }

    func cluster(_ entry: (Node, String)) throws -> Kubeconfig.Cluster {
        let (node, path) = entry
        return Kubeconfig.Cluster(
            server: try string(node["server"], "\(path).server"),
            certificateAuthority: try string(node["certificate-authority"], "\(path).certificate-authority"),
            certificateAuthorityData: try string(
                node["certificate-authority-data"], "\(path).certificate-authority-data"),
            insecureSkipTLSVerify: try bool(
                node["insecure-skip-tls-verify"], "\(path).insecure-skip-tls-verify") ?? false,
            tlsServerName: try string(node["tls-server-name"], "\(path).tls-server-name")
        )
    }

    func user(_ entry: (Node, String)) throws -> Kubeconfig.User {
        let (node, path) = entry
        var user = Kubeconfig.User()
        user.token = try string(node["token"], "\(path).token")
        user.tokenFile = try string(node["tokenFile"], "\(path).tokenFile")
        user.clientCertificate = try string(node["client-certificate"], "\(path).client-certificate")
        user.clientCertificateData = try string(node["client-certificate-data"], "\(path).client-certificate-data")
        user.clientKey = try string(node["client-key"], "\(path).client-key")
        user.clientKeyData = try string(node["client-key-data"], "\(path).client-key-data")
        user.username = try string(node["username"], "\(path).username")
        user.password = try string(node["password"], "\(path).password")
        if let provider = try mapping(node["auth-provider"], "\(path).auth-provider") {
            user.authProvider = try string(provider["name"], "\(path).auth-provider.name") ?? "unnamed"
        }
        if let exec = try mapping(node["exec"], "\(path).exec") {
            user.exec = try self.exec(exec, "\(path).exec")
        }
        return user
    }

    func exec(_ node: Node, _ path: String) throws -> Kubeconfig.Exec {
        guard let command = try string(node["command"], "\(path).command"), !command.isEmpty else {
            throw KubeconfigError.invalidField("\(path).command", reason: "is missing")
        }
        let arguments = try sequence(node["args"], "\(path).args").enumerated().map { index, argument in
            try string(argument, "\(path).args[\(index)]") ?? ""
        }
        var environment: [String: String] = [:]
        for (index, variable) in try sequence(node["env"], "\(path).env").enumerated() {
            guard let name = try string(variable["name"], "\(path).env[\(index)].name") else {
                throw KubeconfigError.invalidField("\(path).env[\(index)]", reason: "has no name")
            }
            environment[name] = try string(variable["value"], "\(path).env[\(index)].value") ?? ""
        }
        guard let apiVersion = try string(node["apiVersion"], "\(path).apiVersion") else {
            throw KubeconfigError.invalidField("\(path).apiVersion", reason: "is missing")
        }
        guard ExecCredentialPlugin.supportedAPIVersions.contains(apiVersion) else {
            throw KubeconfigError.invalidField(
                "\(path).apiVersion",
                reason: "\"\(apiVersion)\" is not supported (use client.authentication.k8s.io/v1 or v1beta1)")
        }
        let interactiveMode = try string(node["interactiveMode"], "\(path).interactiveMode") ?? "IfAvailable"
        guard ["Never", "IfAvailable", "Always"].contains(interactiveMode) else {
            throw KubeconfigError.invalidField("\(path).interactiveMode", reason: "is not Never, IfAvailable or Always")
        }
        return Kubeconfig.Exec(
            command: command,
            arguments: arguments,
            environment: environment,
            apiVersion: apiVersion,
            interactiveMode: interactiveMode,
            provideClusterInfo: try bool(node["provideClusterInfo"], "\(path).provideClusterInfo") ?? false
        )
    }

    func context(_ node: Node, _ path: String) throws -> Kubeconfig.Context {
        guard let cluster = try string(node["cluster"], "\(path).cluster"), !cluster.isEmpty else {
            throw KubeconfigError.invalidField("\(path).cluster", reason: "is missing")
        }
        return Kubeconfig.Context(
            cluster: cluster,
            user: try string(node["user"], "\(path).user") ?? "",
            namespace: try string(node["namespace"], "\(path).namespace").flatMap { $0.isEmpty ? nil : $0 }
        )
    }
}
