/// Options of a delete (or eviction).
public struct DeleteOptions: Sendable, Hashable {
    /// `propagationPolicy`.
    public var propagationPolicy: PropagationPolicy?
    /// `gracePeriodSeconds` (0 deletes at once).
    public var gracePeriodSeconds: Int?
    /// `dryRun=All`: validate and report without deleting.
    public var dryRun: Bool
    /// Only delete if the object still has this `resourceVersion`.
    public var preconditionResourceVersion: String?

    /// Creates delete options; the defaults are the server's.
    public init(
        propagationPolicy: PropagationPolicy? = nil,
        gracePeriodSeconds: Int? = nil,
        dryRun: Bool = false,
        preconditionResourceVersion: String? = nil
    ) {
        self.propagationPolicy = propagationPolicy
        self.gracePeriodSeconds = gracePeriodSeconds
        self.dryRun = dryRun
        self.preconditionResourceVersion = preconditionResourceVersion
    }

    /// The `DeleteOptions` object of the request body.
    var body: KubeJSON {
        var body: KubeJSON = ["apiVersion": "v1", "kind": "DeleteOptions"]
        if let propagationPolicy { body["propagationPolicy"] = .string(propagationPolicy.description) }
        if let gracePeriodSeconds { body["gracePeriodSeconds"] = .int(Int64(gracePeriodSeconds)) }
        if dryRun { body["dryRun"] = ["All"] }
        if let preconditionResourceVersion {
            body["preconditions"] = ["resourceVersion": .string(preconditionResourceVersion)]
        }
        return body
    }
}
