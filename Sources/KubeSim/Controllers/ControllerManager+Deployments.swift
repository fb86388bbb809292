import Foundation
import GaleJSON

/// Deployment → ReplicaSets (pod-template-hash, revisions, history limit) and ReplicaSet → Pods.
extension ControllerManager {
    static let revisionKey = "deployment.kubernetes.io/revision"

    static func revision(_ object: JSONValue) -> Int {
        object[path: ["metadata", "annotations", revisionKey]]?.stringValue.flatMap { Int($0) } ?? 0
    }

    func reconcileDeployments() {
        let rsType = ResourceCatalog.replicaSets
        for deployment in store.list(ResourceCatalog.deployments).items where !Self.isDeleting(deployment) {
            let namespace = Self.namespace(deployment)
            let name = Self.name(deployment)
            let template = Self.normalized(deployment[path: ["spec", "template"]] ?? .object([:]))
            let replicas = deployment[path: ["spec", "replicas"]]?.integer ?? 1
            let paused = deployment[path: ["spec", "paused"]]?.boolValue ?? false
            var sets = owned(rsType, by: deployment)
            let maxRevision = sets.map(Self.revision).max() ?? 0
            var current = sets.first { Self.strippingLabel($0[path: ["spec", "template"]], "pod-template-hash") == template }
            if current == nil, !paused {
                let hash = NameGenerator.hash(template.jsonString)
                var podTemplate = template
                podTemplate[path: ["metadata", "labels", "pod-template-hash"]] = .string(hash)
                var selector = deployment[path: ["spec", "selector"]] ?? .object([:])
                selector[path: ["matchLabels", "pod-template-hash"]] = .string(hash)
                var labels = template[path: ["metadata", "labels"]] ?? .object([:])
                labels["pod-template-hash"] = .string(hash)
                let replicaSet: JSONValue = [
                    "metadata": [
                        "name": .string("\(name)-\(hash)"), "namespace": .string(namespace), "labels": labels,
                        "annotations": [
                            .init(stringLiteral: Self.revisionKey): .string(String(maxRevision + 1)),
                            "deployment.kubernetes.io/desired-replicas": .string(String(replicas)),
                            "deployment.kubernetes.io/max-replicas": .string(String(replicas + 1)),
                        ],
                        "ownerReferences": [Self.ownerReference(deployment, ResourceCatalog.deployments)],
                    ],
                    "spec": ["replicas": 0, "selector": selector, "template": podTemplate],
                    "status": ["replicas": 0],
                ]
                if let created = try? store.create(rsType, namespace: namespace, object: replicaSet) {
                    current = created
                    sets.append(created)
                }
            } else if let existing = current, Self.revision(existing) < maxRevision {
                // Rollback (kubectl rollout undo copies an old template back): the old set becomes the newest revision.
                current = try? store.modify(rsType, namespace: namespace, name: Self.name(existing)) {
                    $0[path: ["metadata", "annotations", Self.revisionKey]] = .string(String(maxRevision + 1))
                }
                sets = owned(rsType, by: deployment)
            }
            guard let current else { continue }
            scaleReplicaSet(current, to: replicas, deployment: deployment)
            for old in sets where Self.uid(old) != Self.uid(current) {
                scaleReplicaSet(old, to: 0, deployment: deployment)
            }
            pruneHistory(deployment, sets: owned(rsType, by: deployment), current: current)
            updateDeploymentStatus(deployment, current: current, sets: owned(rsType, by: deployment))
        }
    }

    private func scaleReplicaSet(_ replicaSet: JSONValue, to replicas: Int, deployment: JSONValue) {
        let existing = replicaSet[path: ["spec", "replicas"]]?.integer ?? 0
        guard existing != replicas else { return }
        _ = try? store.modify(ResourceCatalog.replicaSets, namespace: Self.namespace(replicaSet), name: Self.name(replicaSet)) {
            $0[path: ["spec", "replicas"]] = .int(Int64(replicas))
            $0[path: ["metadata", "annotations", "deployment.kubernetes.io/desired-replicas"]] = .string(String(replicas))
        }
        events.record(
            deployment, type: ResourceCatalog.deployments, reason: "ScalingReplicaSet",
            message: "Scaled \(replicas > existing ? "up" : "down") replica set \(Self.name(replicaSet)) from \(existing) to \(replicas)",
            component: "deployment-controller")
    }

    private func pruneHistory(_ deployment: JSONValue, sets: [JSONValue], current: JSONValue) {
        let limit = deployment[path: ["spec", "revisionHistoryLimit"]]?.integer ?? 10
        let old = sets.filter {
            Self.uid($0) != Self.uid(current) && ($0[path: ["spec", "replicas"]]?.integer ?? 0) == 0
                && ($0[path: ["status", "replicas"]]?.integer ?? 0) == 0
        }.sorted { Self.revision($0) < Self.revision($1) }
        guard old.count > limit else { return }
        for replicaSet in old.prefix(old.count - limit) {
            _ = try? api.delete(ResourceCatalog.replicaSets, namespace: Self.namespace(replicaSet), name: Self.name(replicaSet))
        }
    }

    private func updateDeploymentStatus(_ deployment: JSONValue, current: JSONValue, sets: [JSONValue]) {
        let desired = deployment[path: ["spec", "replicas"]]?.integer ?? 1
        let total = sets.reduce(0) { $0 + ($1[path: ["status", "replicas"]]?.integer ?? 0) }
        let ready = sets.reduce(0) { $0 + ($1[path: ["status", "readyReplicas"]]?.integer ?? 0) }
        let updated = current[path: ["status", "replicas"]]?.integer ?? 0
        var status = deployment["status"] ?? .object([:])
        status["observedGeneration"] = deployment[path: ["metadata", "generation"]] ?? 1
        status["replicas"] = .int(Int64(total))
        status["updatedReplicas"] = .int(Int64(updated))
        status["readyReplicas"] = .int(Int64(ready))
        status["availableReplicas"] = .int(Int64(ready))
        status["unavailableReplicas"] = total - ready > 0 ? .some(.int(Int64(total - ready))) : nil
        let available = ready >= desired
        let complete = available && updated == desired && total == desired
        status["conditions"] = [
            Self.condition(
                status["conditions"], type: "Available", status: available,
                reason: available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                message: available ? "Deployment has minimum availability." : "Deployment does not have minimum availability."),
            Self.condition(
                status["conditions"], type: "Progressing", status: true,
                reason: complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                message: complete
                    ? "ReplicaSet \"\(Self.name(current))\" has successfully progressed."
                    : "ReplicaSet \"\(Self.name(current))\" is progressing."),
        ]
        setStatus(ResourceCatalog.deployments, deployment, status)
        let revision = current[path: ["metadata", "annotations", Self.revisionKey]]
        if deployment[path: ["metadata", "annotations", Self.revisionKey]] != revision, let revision {
            _ = try? store.modify(ResourceCatalog.deployments, namespace: Self.namespace(deployment), name: Self.name(deployment)) {
                $0[path: ["metadata", "annotations", Self.revisionKey]] = revision
            }
        }
    }

    func reconcileReplicaSets() {
        let type = ResourceCatalog.replicaSets
        for replicaSet in store.list(type).items where !Self.isDeleting(replicaSet) {
            let desired = replicaSet[path: ["spec", "replicas"]]?.integer ?? 1
            var pods = owned(ResourceCatalog.pods, by: replicaSet).filter(Self.isActive)
            if pods.count < desired {
                let template = replicaSet[path: ["spec", "template"]] ?? .object([:])
                for _ in pods.count..<desired {
                    let pod = Self.makePod(
                        template: template, name: "\(Self.name(replicaSet))-\(NameGenerator.suffix())",
                        namespace: Self.namespace(replicaSet), owner: replicaSet, ownerType: type)
                    if let created = createPod(pod, owner: replicaSet, ownerType: type) { pods.append(created) }
                }
            } else if pods.count > desired {
                let victims = pods.sorted { lhs, rhs in
                    let l = (Self.isReady(lhs) ? 1 : 0, lhs[path: ["metadata", "creationTimestamp"]]?.stringValue ?? "")
                    let r = (Self.isReady(rhs) ? 1 : 0, rhs[path: ["metadata", "creationTimestamp"]]?.stringValue ?? "")
                    return l.0 != r.0 ? l.0 < r.0 : l.1 > r.1
                }.prefix(pods.count - desired)
                for pod in victims { deletePod(pod, owner: replicaSet, ownerType: type) }
                let removed = Set(victims.map(Self.uid))
                pods.removeAll { removed.contains(Self.uid($0)) }
            }
            let ready = pods.filter(Self.isReady).count
            var status = replicaSet["status"] ?? .object([:])
            status["replicas"] = .int(Int64(pods.count))
            status["fullyLabeledReplicas"] = .int(Int64(pods.count))
            status["readyReplicas"] = .int(Int64(ready))
            status["availableReplicas"] = .int(Int64(ready))
            status["observedGeneration"] = replicaSet[path: ["metadata", "generation"]] ?? 1
            setStatus(type, replicaSet, status)
        }
    }
}
