import GaleJSON

/// Secrets as viewers see them where the cluster cannot tell: names, labels, type and keys, never
/// the values.
///
/// On a cluster that impersonates its users, Kubernetes RBAC decides whether a user reads a
/// Secret (the `view` role does not). On one that does not, every call is the gateway's own, so the
/// gateway's roles decide: a viewer gets each Secret with `data` and `stringData` emptied (the keys
/// kept, the values gone) and the `last-applied-configuration` annotation, which repeats them, removed.
enum SecretRedaction {
    /// The annotation `kubectl apply` writes with the whole object it applied.
    static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// Whether `principal` must get Secrets of a cluster without values: a viewer, on a cluster
    /// that does not impersonate it (`impersonated` false).
    static func applies(to principal: Principal, impersonated: Bool) -> Bool {
        principal.role == .viewer && !impersonated
    }

    /// Removes the values of a Secret; callers pass Secrets only (list items carry no `kind`),
    /// and an object of another kind is left alone.
    static func redact(_ object: inout JSONValue) {
        guard (object["kind"]?.stringValue ?? "Secret") == "Secret" else { return }
        for field in ["data", "stringData"] {
            guard case .object(let values)? = object[field] else { continue }
            object[field] = .object(values.mapValues { _ in .string("") })
        }
        object["metadata"]?["annotations"]?[lastAppliedAnnotation] = nil
    }

    /// `redact` applied to every item of a list (or to one object).
    static func redacted(_ value: JSONValue) -> JSONValue {
        var value = value
        if case .array(let items)? = value["items"] {
            value["items"] = .array(items.map { var item = $0; redact(&item); return item })
        } else {
            redact(&value)
        }
        return value
    }
}
