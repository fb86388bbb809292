import Foundation
import GaleJSON

/// The scheduler and a kubelet stand-in: pods get a node, then run, and Job pods finish.
extension ControllerManager {
    func schedulableNodes(for pod: JSONValue) -> [JSONValue] {
        store.list(ResourceCatalog.nodes).items.filter { Self.tolerates(pod, node: $0) }
    }

    func schedulePods(_ memory: Memory) {
        for pod in store.list(ResourceCatalog.pods).items where Self.isActive(pod) {
            if memory.firstSeen[Self.uid(pod)] == nil { memory.firstSeen[Self.uid(pod)] = Date() }
            guard pod[path: ["spec", "nodeName"]] == nil else { continue }
            let nodes = schedulableNodes(for: pod)
            guard !nodes.isEmpty else {
                var status = pod["status"] ?? .object([:])
                status["conditions"] = [
                    Self.condition(
                        status["conditions"], type: "PodScheduled", status: false, reason: "Unschedulable",
                        message: "0/\(store.list(ResourceCatalog.nodes).items.count) nodes are available")
                ]
                setStatus(ResourceCatalog.pods, pod, status)
                continue
            }
            let node = nodes[memory.nextNode % nodes.count]
            memory.nextNode += 1
            let nodeName = Self.name(node)
            let updated = try? store.modify(ResourceCatalog.pods, namespace: Self.namespace(pod), name: Self.name(pod)) { value in
                value[path: ["spec", "nodeName"]] = .string(nodeName)
                value[path: ["status", "conditions"]] = [
                    Self.condition(nil, type: "PodScheduled", status: true, reason: "", message: "")
                ]
            }
            if let updated {
                events.record(
                    updated, type: ResourceCatalog.pods, reason: "Scheduled",
                    message: "Successfully assigned \(Self.namespace(pod))/\(Self.name(pod)) to \(nodeName)",
                    component: "default-scheduler")
            }
        }
    }

    static func nodeAddress(_ node: JSONValue) -> String {
        (node[path: ["status", "addresses"]]?.arrayValue ?? []).first { $0["type"]?.stringValue == "InternalIP" }?["address"]?
            .stringValue ?? "10.0.0.1"
    }

    func runPods(_ memory: Memory) {
        let now = Date()
        let startDelay = Double(configuration.podStartDelay.components.seconds)
            + Double(configuration.podStartDelay.components.attoseconds) / 1e18
        let jobDuration = Double(configuration.jobRunDuration.components.seconds)
            + Double(configuration.jobRunDuration.components.attoseconds) / 1e18
        let nodes = store.list(ResourceCatalog.nodes).items
        for pod in store.list(ResourceCatalog.pods).items where Self.isActive(pod) {
            guard let nodeName = pod[path: ["spec", "nodeName"]]?.stringValue else { continue }
            let uid = Self.uid(pod)
            let phase = Self.phase(pod)
            if phase == "Pending", now.timeIntervalSince(memory.firstSeen[uid] ?? now) >= startDelay {
                start(pod, nodeName: nodeName, nodes: nodes, memory: memory)
            } else if phase == "Running" {
                if memory.runningSince[uid] == nil { memory.runningSince[uid] = now }
                let isJobPod = (pod[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []).contains {
                    $0["kind"]?.stringValue == "Job"
                }
                if isJobPod, now.timeIntervalSince(memory.runningSince[uid] ?? now) >= jobDuration {
                    complete(pod)
                }
            }
        }
    }

    private func start(_ pod: JSONValue, nodeName: String, nodes: [JSONValue], memory: Memory) {
        let now = KubeTime.format(Date())
        let nodeIndex = nodes.firstIndex { Self.name($0) == nodeName } ?? 0
        memory.nextIP = memory.nextIP % 250 + 1
        let podIP = "10.244.\(nodeIndex).\(memory.nextIP + 1)"
        let hostIP = nodes.first { Self.name($0) == nodeName }.map(Self.nodeAddress) ?? "10.0.0.1"
        let containers = pod[path: ["spec", "containers"]]?.arrayValue ?? []
        var statuses: [JSONValue] = []
        for container in containers {
            let image = container["image"]?.stringValue ?? "busybox"
            let id = String(LogGenerator.mix(LogGenerator.seed(Self.uid(pod) + (container["name"]?.stringValue ?? ""))), radix: 16)
            statuses.append([
                "name": container["name"] ?? "", "image": .string(image),
                "imageID": .string("docker.io/library/\(image)@sha256:\(id)\(id)"),
                "containerID": .string("containerd://\(id)\(id)\(id)\(id)"), "ready": true, "started": true, "restartCount": 0,
                "state": ["running": ["startedAt": .string(now)]], "lastState": .object([:]),
            ])
        }
        let updated = try? store.modify(ResourceCatalog.pods, namespace: Self.namespace(pod), name: Self.name(pod)) { value in
            var status = value["status"] ?? .object([:])
            status["phase"] = "Running"
            status["podIP"] = .string(podIP)
            status["podIPs"] = [["ip": .string(podIP)]]
            status["hostIP"] = .string(hostIP)
            status["hostIPs"] = [["ip": .string(hostIP)]]
            status["startTime"] = .string(now)
            status["containerStatuses"] = .array(statuses)
            status["conditions"] = .array(
                ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"].map {
                    Self.condition(nil, type: $0, status: true, reason: "", message: "")
                })
            value["status"] = status
        }
        guard let updated else { return }
        for container in containers {
            let name = container["name"]?.stringValue ?? ""
            let image = container["image"]?.stringValue ?? ""
            events.record(updated, type: ResourceCatalog.pods, reason: "Pulled", message: "Container image \"\(image)\" already present on machine", component: "kubelet", host: nodeName)
            events.record(updated, type: ResourceCatalog.pods, reason: "Created", message: "Created container: \(name)", component: "kubelet", host: nodeName)
            events.record(updated, type: ResourceCatalog.pods, reason: "Started", message: "Started container \(name)", component: "kubelet", host: nodeName)
        }
    }

    private func complete(_ pod: JSONValue) {
        let now = KubeTime.format(Date())
        _ = try? store.modify(ResourceCatalog.pods, namespace: Self.namespace(pod), name: Self.name(pod)) { value in
            var status = value["status"] ?? .object([:])
            status["phase"] = "Succeeded"
            status["containerStatuses"] = .array(
                (status["containerStatuses"]?.arrayValue ?? []).map { container in
                    var container = container
                    let started = container[path: ["state", "running", "startedAt"]] ?? .string(now)
                    container["ready"] = false
                    container["started"] = false
                    container["state"] = [
                        "terminated": [
                            "exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": .string(now),
                            "containerID": container["containerID"] ?? .null,
                        ]
                    ]
                    return container
                })
            status["conditions"] = .array(
                ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map {
                    Self.condition(status["conditions"], type: $0, status: $0 == "Initialized" || $0 == "PodScheduled", reason: $0 == "Ready" || $0 == "ContainersReady" ? "PodCompleted" : "", message: "")
                })
            value["status"] = status
        }
    }
}
