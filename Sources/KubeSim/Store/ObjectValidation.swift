import GaleJSON

/// The apiserver's checks of the few fields whose mistakes manifests commonly carry, with its
/// wording; everything else is accepted as sent.
enum ObjectValidation {
    /// Throws 422 Invalid when `object` of `type` fails a check.
    static func validate(_ type: ResourceType, _ object: JSONValue) throws(KubeStatusError) {
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        switch type {
        case ResourceCatalog.deployments, ResourceCatalog.replicaSets, ResourceCatalog.statefulSets,
            ResourceCatalog.daemonSets:
            // A selector that does not select the pods the workload makes would orphan them.
            guard let selector = object[path: ["spec", "selector"]], selector.objectValue != nil,
                let labels = object[path: ["spec", "template", "metadata", "labels"]]?.stringMap
            else { return }
            guard LabelSelector(object: selector).matches(labels) else {
                let shown = labels.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ", ")
                throw .invalid(
                    type, name, field: "spec.template.metadata.labels",
                    "Invalid value: map[string]string{\(shown)}: `selector` does not match template `labels`")
            }
        case ResourceCatalog.podDisruptionBudgets:
            if object[path: ["spec", "minAvailable"]] != nil, object[path: ["spec", "maxUnavailable"]] != nil {
                throw .invalid(
                    type, name, field: "spec", "Invalid value: \"\": minAvailable and maxUnavailable cannot be both set")
            }
        default:
            return
        }
    }
}
