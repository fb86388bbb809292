import Foundation
import GaleJSON

/// Runs the built-in controllers (deployment, replicaset, statefulset, daemonset, job, cronjob, namespace,
/// endpoints, scheduler and a kubelet stand-in) level-triggered: every change and every resync tick runs one
/// reconcile pass over the whole store. Writes that change nothing do not bump resourceVersions, so passes
/// reach a fixed point.
struct ControllerManager: Sendable {
    let api: ClusterAPI
    let configuration: KubeSimServer.Configuration

    var store: ObjectStore { api.store }
    var events: EventRecorder { api.events }

    /// State the controllers remember between passes (times the API does not record precisely enough).
    final class Memory {
        var firstSeen: [String: Date] = [:]
        var runningSince: [String: Date] = [:]
        var nextNode = 0
        var nextIP = 10
    }

    func run() async {
        let (kicks, kick) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let changes = store.changeNotifications()
        let interval = configuration.reconcileInterval
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in changes { kick.yield() }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    kick.yield()
                }
            }
            let memory = Memory()
            kick.yield()
            for await _ in kicks {
                if Task.isCancelled { break }
                reconcile(memory)
                try? await Task.sleep(for: .milliseconds(15))
            }
            group.cancelAll()
        }
    }

    /// One pass of every controller.
    func reconcile(_ memory: Memory) {
        reconcileNamespaces()
        collectGarbage()
        reconcileCronJobs()
        reconcileJobs()
        reconcileDeployments()
        reconcileReplicaSets()
        reconcileStatefulSets()
        reconcileDaemonSets()
        schedulePods(memory)
        runPods(memory)
        reconcileEndpoints()
        memory.firstSeen = memory.firstSeen.filter { Date().timeIntervalSince($0.value) < 3600 }
    }

    // MARK: Shared helpers

    static func name(_ object: JSONValue) -> String { object[path: ["metadata", "name"]]?.stringValue ?? "" }
    static func namespace(_ object: JSONValue) -> String { object[path: ["metadata", "namespace"]]?.stringValue ?? "" }
    static func uid(_ object: JSONValue) -> String { object[path: ["metadata", "uid"]]?.stringValue ?? "" }

    static func isDeleting(_ object: JSONValue) -> Bool { object[path: ["metadata", "deletionTimestamp"]] != nil }

    static func ownerReference(_ owner: JSONValue, _ type: ResourceType) -> JSONValue {
        [
            "apiVersion": .string(type.apiVersion), "kind": .string(type.kind), "name": .string(name(owner)),
            "uid": .string(uid(owner)), "controller": true, "blockOwnerDeletion": true,
        ]
    }

    /// Objects of `type` in the owner's namespace controlled by the owner.
    func owned(_ type: ResourceType, by owner: JSONValue) -> [JSONValue] {
        let ownerUID = Self.uid(owner)
        return store.list(type, filter: ObjectFilter(namespace: Self.namespace(owner))).items.filter {
            ObjectStore.ownerUIDs($0).contains(ownerUID)
        }
    }

    static func phase(_ pod: JSONValue) -> String { pod[path: ["status", "phase"]]?.stringValue ?? "Pending" }

    static func isActive(_ pod: JSONValue) -> Bool {
        let phase = phase(pod)
        return phase != "Succeeded" && phase != "Failed" && !isDeleting(pod)
    }

    static func isReady(_ pod: JSONValue) -> Bool { phase(pod) == "Running" && !isDeleting(pod) }

    /// Builds a pod from a template.
    static func makePod(
        template: JSONValue, name: String, namespace: String, owner: JSONValue, ownerType: ResourceType,
        extraLabels: [String: String] = [:], nodeName: String? = nil, hostname: String? = nil
    ) -> JSONValue {
        var labels = template[path: ["metadata", "labels"]]?.stringMap ?? [:]
        for (key, value) in extraLabels { labels[key] = value }
        var spec = template["spec"] ?? .object([:])
        if spec["restartPolicy"] == nil { spec["restartPolicy"] = "Always" }
        if spec["dnsPolicy"] == nil { spec["dnsPolicy"] = "ClusterFirst" }
        if spec["schedulerName"] == nil { spec["schedulerName"] = "default-scheduler" }
        if spec["serviceAccountName"] == nil { spec["serviceAccountName"] = "default" }
        if spec["terminationGracePeriodSeconds"] == nil { spec["terminationGracePeriodSeconds"] = 30 }
        if let nodeName { spec["nodeName"] = .string(nodeName) }
        if let hostname { spec["hostname"] = .string(hostname) }
        var metadata: JSONValue = [
            "name": .string(name), "namespace": .string(namespace), "labels": .strings(labels),
            "ownerReferences": [ownerReference(owner, ownerType)],
        ]
        if let annotations = template[path: ["metadata", "annotations"]] { metadata["annotations"] = annotations }
        return ["metadata": metadata, "spec": spec, "status": ["phase": "Pending", "qosClass": "BestEffort"]]
    }

    /// Creates a pod and records `SuccessfulCreate` on its owner.
    @discardableResult
    func createPod(_ pod: JSONValue, owner: JSONValue, ownerType: ResourceType) -> JSONValue? {
        guard let created = try? store.create(ResourceCatalog.pods, namespace: Self.namespace(owner), object: pod) else {
            return nil
        }
        events.record(
            owner, type: ownerType, reason: "SuccessfulCreate", message: "Created pod: \(Self.name(created))",
            component: "\(ownerType.singular)-controller")
        return created
    }

    func deletePod(_ pod: JSONValue, owner: JSONValue, ownerType: ResourceType) {
        guard (try? api.delete(ResourceCatalog.pods, namespace: Self.namespace(pod), name: Self.name(pod))) != nil else { return }
        events.record(
            owner, type: ownerType, reason: "SuccessfulDelete", message: "Deleted pod: \(Self.name(pod))",
            component: "\(ownerType.singular)-controller")
    }

    /// Writes `status` if it differs.
    func setStatus(_ type: ResourceType, _ object: JSONValue, _ status: JSONValue) {
        guard object["status"] != status else { return }
        _ = try? store.modify(type, namespace: type.namespaced ? Self.namespace(object) : nil, name: Self.name(object)) {
            $0["status"] = status
        }
    }

    /// A condition that keeps its transition time while its status does not change.
    static func condition(_ existing: JSONValue?, type: String, status: Bool, reason: String, message: String) -> JSONValue {
        let previous = (existing?.arrayValue ?? []).first { $0["type"]?.stringValue == type }
        let statusText: JSONValue = status ? "True" : "False"
        let time: JSONValue =
            previous?["status"] == statusText ? (previous?["lastTransitionTime"] ?? .string(KubeTime.format(Date())))
            : .string(KubeTime.format(Date()))
        return [
            "type": .string(type), "status": statusText, "reason": .string(reason), "message": .string(message),
            "lastTransitionTime": time, "lastUpdateTime": previous?["status"] == statusText ? (previous?["lastUpdateTime"] ?? time) : time,
        ]
    }

    /// Whether a pod's tolerations allow every NoSchedule/NoExecute taint of a node.
    static func tolerates(_ pod: JSONValue, node: JSONValue, ignoreUnschedulable: Bool = false) -> Bool {
        if !ignoreUnschedulable, node[path: ["spec", "unschedulable"]]?.boolValue == true { return false }
        let tolerations = pod[path: ["spec", "tolerations"]]?.arrayValue ?? []
        for taint in node[path: ["spec", "taints"]]?.arrayValue ?? [] {
            let effect = taint["effect"]?.stringValue ?? ""
            guard effect == "NoSchedule" || effect == "NoExecute" else { continue }
            let key = taint["key"]?.stringValue
            let tolerated = tolerations.contains { toleration in
                let tolerationEffect = toleration["effect"]?.stringValue ?? ""
                guard tolerationEffect.isEmpty || tolerationEffect == effect else { return false }
                if toleration["operator"]?.stringValue == "Exists" {
                    return toleration["key"] == nil || toleration["key"]?.stringValue == key
                }
                return toleration["key"]?.stringValue == key && toleration["value"] == taint["value"]
            }
            if !tolerated { return false }
        }
        return true
    }

    /// Template with the controller-added label removed and normalised (to compare with the owner's template).
    static func strippingLabel(_ template: JSONValue?, _ label: String) -> JSONValue {
        var template = template ?? .object([:])
        if var labels = template[path: ["metadata", "labels"]]?.objectValue {
            labels[label] = nil
            template[path: ["metadata", "labels"]] = .object(labels)
        }
        return normalized(template)
    }

    /// Drops nulls and empty objects/arrays recursively, so a template that went through a typed client
    /// (`creationTimestamp: null`, `resources: {}`) compares equal to the stored one.
    static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var result: [String: JSONValue] = [:]
            for (key, member) in members {
                let child = normalized(member)
                switch child {
                case .null: continue
                case .object(let inner) where inner.isEmpty: continue
                case .array(let inner) where inner.isEmpty: continue
                default: result[key] = child
                }
            }
            return .object(result)
        case .array(let elements):
            return .array(elements.map(normalized))
        default:
            return value
        }
    }
}
