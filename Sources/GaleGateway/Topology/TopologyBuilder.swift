import GaleJSON

/// Builds a ``TopologyGraph`` from the objects of a namespace: a pure function, objects in and
/// graph out, so that the HTTP route and the live stream draw the same graph.
enum TopologyBuilder {
    /// Kinds that belong to no namespace: they join the graph only when something in it leads to
    /// them (a Pod's Node, a claim's volume).
    static let clusterScopedKinds: Set<String> = ["Node", "PersistentVolume"]

    /// The graph of `objects`, given by kind (`Pod`, `Deployment`, …). Cluster-scoped objects
    /// (Nodes, PersistentVolumes) appear only where a Pod or claim refers to them; an edge is
    /// drawn only between two objects that exist.
    static func graph(_ objects: [String: [JSONValue]]) -> TopologyGraph {
        var graph = TopologyGraph()
        var clusterScoped: [String: TopologyGraph.Node] = [:]
        for (kind, items) in objects {
            for object in items {
                let node = node(kind: kind, object)
                if clusterScopedKinds.contains(kind) {
                    clusterScoped[node.id] = node
                } else {
                    graph.nodes[node.id] = node
                }
            }
        }
        func link(_ from: String, _ to: String, _ type: String) {
            guard graph.nodes[from] != nil else { return }
            if graph.nodes[to] == nil, let scoped = clusterScoped[to] { graph.nodes[to] = scoped }
            guard graph.nodes[to] != nil, from != to else { return }
            graph.edges.insert(TopologyGraph.Edge(from: from, to: to, type: type))
        }
        for (kind, items) in objects where !clusterScopedKinds.contains(kind) {
            for object in items {
                let id = node(kind: kind, object).id
                let namespace = object["metadata"]?["namespace"]?.stringValue
                for owner in object["metadata"]?["ownerReferences"]?.arrayValue ?? [] {
                    guard let ownerKind = owner["kind"]?.stringValue, let ownerName = owner["name"]?.stringValue else {
                        continue
                    }
                    link(TopologyGraph.Node.id(kind: ownerKind, namespace: namespace, name: ownerName), id, "owns")
                }
                switch kind {
                case "Pod":
                    for (targetKind, name, type) in podReferences(object) {
                        let targetNamespace = targetKind == "Node" ? nil : namespace
                        link(id, TopologyGraph.Node.id(kind: targetKind, namespace: targetNamespace, name: name), type)
                    }
                case "PersistentVolumeClaim":
                    if let volume = object["spec"]?["volumeName"]?.stringValue, !volume.isEmpty {
                        link(id, TopologyGraph.Node.id(kind: "PersistentVolume", namespace: nil, name: volume), "bound")
                    }
                case "Service":
                    let name = object["metadata"]?["name"]?.stringValue ?? ""
                    link(id, TopologyGraph.Node.id(kind: "Endpoints", namespace: namespace, name: name), "endpoints")
                    let selector = (object["spec"]?["selector"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
                    guard !selector.isEmpty else { break }
                    for pod in objects["Pod"] ?? [] where pod["metadata"]?["namespace"]?.stringValue == namespace {
                        let labels = (pod["metadata"]?["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
                        guard selector.allSatisfy({ labels[$0.key] == $0.value }) else { continue }
                        link(id, node(kind: "Pod", pod).id, "selects")
                    }
                case "Ingress":
                    for service in ingressServices(object) {
                        link(id, TopologyGraph.Node.id(kind: "Service", namespace: namespace, name: service), "routes")
                    }
                default:
                    break
                }
            }
        }
        return graph
    }

    /// The node of one object.
    static func node(kind: String, _ object: JSONValue) -> TopologyGraph.Node {
        let metadata = object["metadata"]
        return TopologyGraph.Node(
            kind: kind,
            namespace: clusterScopedKinds.contains(kind) ? nil : metadata?["namespace"]?.stringValue,
            name: metadata?["name"]?.stringValue ?? "",
            uid: metadata?["uid"]?.stringValue ?? "",
            status: status(kind: kind, object))
    }

    /// What a Pod refers to: `(kind, name, edge type)` for its claims, ConfigMaps and Secrets
    /// (volumes, projected volumes, env and envFrom of every container) and its Node.
    static func podReferences(_ pod: JSONValue) -> [(String, String, String)] {
        var references: [(String, String, String)] = []
        let spec = pod["spec"]
        for volume in spec?["volumes"]?.arrayValue ?? [] {
            if let claim = volume["persistentVolumeClaim"]?["claimName"]?.stringValue {
                references.append(("PersistentVolumeClaim", claim, "mounts"))
            }
            if let name = volume["configMap"]?["name"]?.stringValue { references.append(("ConfigMap", name, "uses")) }
            if let name = volume["secret"]?["secretName"]?.stringValue { references.append(("Secret", name, "uses")) }
            for source in volume["projected"]?["sources"]?.arrayValue ?? [] {
                if let name = source["configMap"]?["name"]?.stringValue {
                    references.append(("ConfigMap", name, "uses"))
                }
                if let name = source["secret"]?["name"]?.stringValue { references.append(("Secret", name, "uses")) }
            }
        }
        let containers = ["initContainers", "containers", "ephemeralContainers"].flatMap {
            spec?[$0]?.arrayValue ?? []
        }
        for container in containers {
            for variable in container["env"]?.arrayValue ?? [] {
                let source = variable["valueFrom"]
                if let name = source?["configMapKeyRef"]?["name"]?.stringValue {
                    references.append(("ConfigMap", name, "uses"))
                }
                if let name = source?["secretKeyRef"]?["name"]?.stringValue {
                    references.append(("Secret", name, "uses"))
                }
            }
            for source in container["envFrom"]?.arrayValue ?? [] {
                if let name = source["configMapRef"]?["name"]?.stringValue {
                    references.append(("ConfigMap", name, "uses"))
                }
                if let name = source["secretRef"]?["name"]?.stringValue { references.append(("Secret", name, "uses")) }
            }
        }
        if let node = spec?["nodeName"]?.stringValue, !node.isEmpty { references.append(("Node", node, "scheduled")) }
        return references
    }

    /// The Services an Ingress sends traffic to (`networking.k8s.io/v1`, and the older
    /// `serviceName` form).
    static func ingressServices(_ ingress: JSONValue) -> [String] {
        let spec = ingress["spec"]
        var backends = [spec?["defaultBackend"], spec?["backend"]].compactMap { $0 }
        for rule in spec?["rules"]?.arrayValue ?? [] {
            backends += (rule["http"]?["paths"]?.arrayValue ?? []).compactMap { $0["backend"] }
        }
        return backends.compactMap { $0["service"]?["name"]?.stringValue ?? $0["serviceName"]?.stringValue }
    }

    /// The short state of an object (see ``TopologyGraph/Node/status``).
    static func status(kind: String, _ object: JSONValue) -> String {
        let spec = object["spec"]
        let status = object["status"]
        func count(_ value: JSONValue?) -> Int64 { value?.intValue ?? 0 }
        switch kind {
        case "Pod":
            if object["metadata"]?["deletionTimestamp"]?.stringValue != nil { return "Terminating" }
            return status?["phase"]?.stringValue ?? "Unknown"
        case "Deployment", "ReplicaSet", "StatefulSet":
            return "\(count(status?["readyReplicas"]))/\(spec?["replicas"]?.intValue ?? 1)"
        case "DaemonSet":
            return "\(count(status?["numberReady"]))/\(count(status?["desiredNumberScheduled"]))"
        case "Job":
            for condition in status?["conditions"]?.arrayValue ?? [] where condition["status"]?.stringValue == "True" {
                if let type = condition["type"]?.stringValue, type == "Complete" || type == "Failed" { return type }
            }
            return count(status?["active"]) > 0 ? "Running" : "Pending"
        case "CronJob":
            return spec?["suspend"]?.boolValue == true ? "Suspended" : "Active"
        case "Node":
            let ready = (status?["conditions"]?.arrayValue ?? []).first { $0["type"]?.stringValue == "Ready" }
            return ready?["status"]?.stringValue == "True" ? "Ready" : "NotReady"
        case "PersistentVolumeClaim", "PersistentVolume":
            return status?["phase"]?.stringValue ?? ""
        case "Service":
            return spec?["type"]?.stringValue ?? "ClusterIP"
        default:
            return ""
        }
    }
}
