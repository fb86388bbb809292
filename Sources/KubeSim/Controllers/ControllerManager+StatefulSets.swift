import Foundation
import GaleJSON

/// StatefulSet → ordered pods NAME-0..N-1 (+ PVCs from volumeClaimTemplates) and DaemonSet → one pod per node,
/// both with ControllerRevisions for their history.
extension ControllerManager {
    /// Ensures a ControllerRevision for the template exists; returns its hash.
    func ensureRevision(owner: JSONValue, ownerType: ResourceType, template: JSONValue) -> String {
        let hash = NameGenerator.hash(template.jsonString)
        let namespace = Self.namespace(owner)
        let revisions = owned(ResourceCatalog.controllerRevisions, by: owner)
        let name = "\(Self.name(owner))-\(hash)"
        if !revisions.contains(where: { Self.name($0) == name }) {
            let next = (revisions.compactMap { $0["revision"]?.integer }.max() ?? 0) + 1
            var labels = template[path: ["metadata", "labels"]] ?? .object([:])
            labels["controller-revision-hash"] = .string(hash)
            let revision: JSONValue = [
                "metadata": [
                    "name": .string(name), "namespace": .string(namespace), "labels": labels,
                    "ownerReferences": [Self.ownerReference(owner, ownerType)],
                ],
                "data": ["spec": ["template": template]], "revision": .int(Int64(next)),
            ]
            _ = try? store.create(ResourceCatalog.controllerRevisions, namespace: namespace, object: revision)
        }
        return hash
    }

    func reconcileStatefulSets() {
        let type = ResourceCatalog.statefulSets
        for set in store.list(type).items where !Self.isDeleting(set) {
            let name = Self.name(set)
            let namespace = Self.namespace(set)
            let replicas = set[path: ["spec", "replicas"]]?.integer ?? 1
            let template = set[path: ["spec", "template"]] ?? .object([:])
            let hash = ensureRevision(owner: set, ownerType: type, template: template)
            var pods = Dictionary(owned(ResourceCatalog.pods, by: set).map { (Self.name($0), $0) }, uniquingKeysWith: { $1 })
            var blocked = false
            for ordinal in 0..<replicas where !blocked {
                let podName = "\(name)-\(ordinal)"
                if let pod = pods[podName] {
                    if !Self.isReady(pod) { blocked = true }
                    continue
                }
                for claim in set[path: ["spec", "volumeClaimTemplates"]]?.arrayValue ?? [] {
                    ensureClaim(claim, name: "\(Self.name(claim))-\(podName)", namespace: namespace, labels: template[path: ["metadata", "labels"]])
                }
                let pod = Self.makePod(
                    template: template, name: podName, namespace: namespace, owner: set, ownerType: type,
                    extraLabels: [
                        "controller-revision-hash": "\(name)-\(hash)", "statefulset.kubernetes.io/pod-name": podName,
                        "apps.kubernetes.io/pod-index": String(ordinal),
                    ], hostname: podName)
                if let created = createPod(pod, owner: set, ownerType: type) { pods[podName] = created }
                blocked = true
            }
            let extra = pods.values.filter { pod in
                let ordinal = Int(Self.name(pod).dropFirst(name.count + 1)) ?? Int.max
                return ordinal >= replicas
            }.sorted { Self.name($0) > Self.name($1) }
            if let victim = extra.first {
                deletePod(victim, owner: set, ownerType: type)
                pods[Self.name(victim)] = nil
            } else if !blocked, pods.values.allSatisfy(Self.isReady),
                let outdated = pods.values.filter({
                    $0[path: ["metadata", "labels", "controller-revision-hash"]]?.stringValue != "\(name)-\(hash)"
                }).sorted(by: { Self.name($0) > Self.name($1) }).first
            {
                deletePod(outdated, owner: set, ownerType: type)
                pods[Self.name(outdated)] = nil
            }
            let all = Array(pods.values)
            let updated = all.filter { $0[path: ["metadata", "labels", "controller-revision-hash"]]?.stringValue == "\(name)-\(hash)" }
            var status = set["status"] ?? .object([:])
            status["observedGeneration"] = set[path: ["metadata", "generation"]] ?? 1
            status["replicas"] = .int(Int64(all.count))
            status["readyReplicas"] = .int(Int64(all.filter(Self.isReady).count))
            status["availableReplicas"] = .int(Int64(all.filter(Self.isReady).count))
            status["currentReplicas"] = .int(Int64(updated.count))
            status["updatedReplicas"] = .int(Int64(updated.count))
            status["updateRevision"] = .string("\(name)-\(hash)")
            status["currentRevision"] = updated.count == all.count ? .string("\(name)-\(hash)") : (status["currentRevision"] ?? .string("\(name)-\(hash)"))
            status["collisionCount"] = 0
            setStatus(type, set, status)
        }
    }

    private func ensureClaim(_ template: JSONValue, name: String, namespace: String, labels: JSONValue?) {
        guard store.find(ResourceCatalog.persistentVolumeClaims, namespace: namespace, name: name) == nil else { return }
        var claim = template
        claim["metadata"] = ["name": .string(name), "namespace": .string(namespace), "labels": labels ?? .object([:])]
        claim["status"] = [
            "phase": "Bound", "accessModes": template[path: ["spec", "accessModes"]] ?? ["ReadWriteOnce"],
            "capacity": ["storage": template[path: ["spec", "resources", "requests", "storage"]] ?? "1Gi"],
        ]
        claim[path: ["spec", "volumeName"]] = .string("pvc-\(NameGenerator.hash(namespace + name))")
        claim[path: ["spec", "storageClassName"]] = template[path: ["spec", "storageClassName"]] ?? "standard"
        _ = try? store.create(ResourceCatalog.persistentVolumeClaims, namespace: namespace, object: claim)
    }

    func reconcileDaemonSets() {
        let type = ResourceCatalog.daemonSets
        let nodes = store.list(ResourceCatalog.nodes).items
        for set in store.list(type).items where !Self.isDeleting(set) {
            let namespace = Self.namespace(set)
            let template = set[path: ["spec", "template"]] ?? .object([:])
            let hash = ensureRevision(owner: set, ownerType: type, template: template)
            let eligible = nodes.filter { Self.tolerates(template, node: $0, ignoreUnschedulable: true) }
            var pods = owned(ResourceCatalog.pods, by: set).filter(Self.isActive)
            for node in eligible where !pods.contains(where: { $0[path: ["spec", "nodeName"]]?.stringValue == Self.name(node) }) {
                let pod = Self.makePod(
                    template: template, name: "\(Self.name(set))-\(NameGenerator.suffix())", namespace: namespace, owner: set,
                    ownerType: type, extraLabels: ["controller-revision-hash": hash, "pod-template-generation": String(set[path: ["metadata", "generation"]]?.integer ?? 1)],
                    nodeName: Self.name(node))
                if let created = createPod(pod, owner: set, ownerType: type) { pods.append(created) }
            }
            let eligibleNames = Set(eligible.map(Self.name))
            for pod in pods where !eligibleNames.contains(pod[path: ["spec", "nodeName"]]?.stringValue ?? "") {
                deletePod(pod, owner: set, ownerType: type)
            }
            pods.removeAll { !eligibleNames.contains($0[path: ["spec", "nodeName"]]?.stringValue ?? "") }
            if pods.allSatisfy(Self.isReady),
                let outdated = pods.first(where: { $0[path: ["metadata", "labels", "controller-revision-hash"]]?.stringValue != hash })
            {
                deletePod(outdated, owner: set, ownerType: type)
                pods.removeAll { Self.uid($0) == Self.uid(outdated) }
            }
            let updated = pods.filter { $0[path: ["metadata", "labels", "controller-revision-hash"]]?.stringValue == hash }.count
            let ready = pods.filter(Self.isReady).count
            var status = set["status"] ?? .object([:])
            status["observedGeneration"] = set[path: ["metadata", "generation"]] ?? 1
            status["desiredNumberScheduled"] = .int(Int64(eligible.count))
            status["currentNumberScheduled"] = .int(Int64(pods.count))
            status["numberMisscheduled"] = 0
            status["numberReady"] = .int(Int64(ready))
            status["numberAvailable"] = .int(Int64(ready))
            status["updatedNumberScheduled"] = .int(Int64(updated))
            status["numberUnavailable"] = eligible.count - ready > 0 ? .some(.int(Int64(eligible.count - ready))) : nil
            setStatus(type, set, status)
        }
    }
}
