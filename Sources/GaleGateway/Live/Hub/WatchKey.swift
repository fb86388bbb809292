/// What identifies a shared upstream watch: identical keys from any number of sockets share one
/// list+watch of the cluster.
struct WatchKey: Hashable, Sendable, CustomStringConvertible {
    var cluster: Int64
    /// Resource plural as in the catalog (`pods`, `deployments`, ...).
    var resource: String
    var namespace: String?
    /// One object (sent upstream as the field selector `metadata.name=NAME`).
    var name: String?
    var labelSelector: String?
    var fieldSelector: String?
    /// Secrets without their values: the watch viewers share on clusters that do not impersonate
    /// them (see ``SecretRedaction``). A separate shared watch from the one with values.
    var redactsSecretData = false

    /// The field selector sent upstream: the caller's, plus the object name when there is one.
    var upstreamFieldSelector: String? {
        let parts = [name.map { "metadata.name=\($0)" }, fieldSelector].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: ",")
    }

    var description: String {
        var text = "cluster \(cluster) \(resource)"
        if let namespace { text += " in \(namespace)" }
        if let name { text += " named \(name)" }
        if let labelSelector, !labelSelector.isEmpty { text += " labels \(labelSelector)" }
        if let fieldSelector, !fieldSelector.isEmpty { text += " fields \(fieldSelector)" }
        if redactsSecretData { text += " without values" }
        return text
    }
}
