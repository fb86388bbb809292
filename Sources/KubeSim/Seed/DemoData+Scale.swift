import Foundation
import GaleJSON

/// Pods in bulk for benchmarks (`kubegale sim --pods N`).
extension DemoData {
    /// How many replicas one scale Deployment gets at most.
    static let scaleDeploymentSize = 1000

    /// Adds `count` running pods: Deployments `load` of up to ``scaleDeploymentSize`` replicas, one per
    /// namespace `scale-0`, `scale-1`, …, each with its ReplicaSet and pods written straight into the store the
    /// way the controllers would leave them (scheduled, Running, ready, with IPs). Going through the controllers
    /// would cost one reconcile pass and four events per pod; this takes seconds for 50,000. Pods share their
    /// unchanging parts (spec, conditions, container statuses), which keeps the memory per pod small.
    static func seedScale(_ api: ClusterAPI, pods count: Int) {
        guard count > 0 else { return }
        let store = api.store
        if store.list(ResourceCatalog.nodes).items.isEmpty { seedNodes(api) }
        let workers = store.list(ResourceCatalog.nodes).items.filter { node in
            node[path: ["metadata", "labels", "node-role.kubernetes.io/control-plane"]] == nil
        }
        let nodes = workers.isEmpty ? store.list(ResourceCatalog.nodes).items : workers
        let now = KubeTime.format(Date())
        let namespaces = (count + scaleDeploymentSize - 1) / scaleDeploymentSize
        var podIndex = 0
        for namespaceIndex in 0..<namespaces {
            let namespace = "scale-\(namespaceIndex)"
            _ = try? api.create(
                ResourceCatalog.namespaces, namespace: nil, object: ["metadata": ["name": .string(namespace)]])
            let replicas = min(scaleDeploymentSize, count - namespaceIndex * scaleDeploymentSize)
            guard let workload = seedScaleWorkload(api, namespace: namespace, replicas: replicas) else { continue }
            let (replicaSet, template) = workload
            let hash = template[path: ["metadata", "labels", "pod-template-hash"]]?.stringValue ?? ""
            let labels = template[path: ["metadata", "labels"]] ?? .object([:])
            let owner: JSONValue = [ControllerManager.ownerReference(replicaSet, ResourceCatalog.replicaSets)]
            let specs = nodes.map { node -> JSONValue in
                var spec = template["spec"] ?? .object([:])
                spec["restartPolicy"] = "Always"
                spec["dnsPolicy"] = "ClusterFirst"
                spec["schedulerName"] = "default-scheduler"
                spec["serviceAccountName"] = "default"
                spec["terminationGracePeriodSeconds"] = 30
                spec["nodeName"] = node[path: ["metadata", "name"]] ?? ""
                return spec
            }
            let hostIPs = nodes.map { JSONValue.string(ControllerManager.nodeAddress($0)) }
            let conditions: JSONValue = .array(
                ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"].map {
                    ["type": .string($0), "status": "True", "lastProbeTime": .null, "lastTransitionTime": .string(now)]
                })
            let containerStatuses: JSONValue = [
                [
                    "name": "app", "image": "registry.k8s.io/pause:3.10",
                    "imageID":
                        "registry.k8s.io/pause@sha256:ee6521f290b2168b6e0935a181d4cff9be1ac3f505666ef0e3c98fae8199917a",
                    "containerID": .string("containerd://\(NameGenerator.hash(namespace))"), "ready": true,
                    "started": true,
                    "restartCount": 0, "state": ["running": ["startedAt": .string(now)]], "lastState": .object([:]),
                ]
            ]
            for replica in 0..<replicas {
                let node = replica % nodes.count
                let ip = JSONValue.string("10.\(100 + podIndex / 65536).\(podIndex / 256 % 256).\(podIndex % 256)")
                let pod: JSONValue = [
                    "metadata": [
                        "name": .string("load-\(hash)-\(suffix(replica))"), "namespace": .string(namespace),
                        "labels": labels,
                        "ownerReferences": owner,
                    ],
                    "spec": specs[node],
                    "status": [
                        "phase": "Running", "qosClass": "BestEffort", "podIP": ip, "podIPs": [["ip": ip]],
                        "hostIP": hostIPs[node],
                        "hostIPs": [["ip": hostIPs[node]]], "startTime": .string(now), "conditions": conditions,
                        "containerStatuses": containerStatuses,
                    ],
                ]
                _ = try? store.create(ResourceCatalog.pods, namespace: namespace, object: pod)
                podIndex += 1
            }
        }
    }

    /// The Deployment `load` and its current ReplicaSet (template as the deployment controller derives it, so
    /// that the controller adopts it instead of rolling out a new one).
    private static func seedScaleWorkload(_ api: ClusterAPI, namespace: String, replicas: Int) -> (
        JSONValue, JSONValue
    )? {
        let store = api.store
        let template = ControllerManager.normalized([
            "metadata": ["labels": ["app": "load", "tier": "benchmark"]],
            "spec": [
                "containers": [
                    [
                        "name": "app", "image": "registry.k8s.io/pause:3.10", "imagePullPolicy": "IfNotPresent",
                        "resources": ["requests": ["cpu": "1m", "memory": "8Mi"]],
                    ]
                ]
            ],
        ])
        let revision: JSONValue = ["deployment.kubernetes.io/revision": "1"]
        guard
            let deployment = try? store.create(
                ResourceCatalog.deployments, namespace: namespace,
                object: [
                    "metadata": [
                        "name": "load", "namespace": .string(namespace), "labels": ["app": "load"],
                        "annotations": revision,
                    ],
                    "spec": [
                        "replicas": .int(Int64(replicas)), "revisionHistoryLimit": 10,
                        "selector": ["matchLabels": ["app": "load"]],
                        "strategy": [
                            "type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": "25%"],
                        ],
                        "template": template,
                    ],
                ])
        else { return nil }
        let hash = NameGenerator.hash(template.jsonString)
        var podTemplate = template
        podTemplate[path: ["metadata", "labels", "pod-template-hash"]] = .string(hash)
        let replicaSet: JSONValue = [
            "metadata": [
                "name": .string("load-\(hash)"), "namespace": .string(namespace),
                "labels": podTemplate[path: ["metadata", "labels"]] ?? .object([:]),
                "annotations": [
                    "deployment.kubernetes.io/revision": "1",
                    "deployment.kubernetes.io/desired-replicas": .string(String(replicas)),
                    "deployment.kubernetes.io/max-replicas": .string(String(replicas + 1)),
                ],
                "ownerReferences": [ControllerManager.ownerReference(deployment, ResourceCatalog.deployments)],
            ],
            "spec": [
                "replicas": .int(Int64(replicas)),
                "selector": ["matchLabels": ["app": "load", "pod-template-hash": .string(hash)]],
                "template": podTemplate,
            ],
        ]
        guard let created = try? store.create(ResourceCatalog.replicaSets, namespace: namespace, object: replicaSet)
        else {
            return nil
        }
        return (created, podTemplate)
    }

    /// A 5-character pod name suffix in the safe alphabet, distinct for every `index` below 27⁵.
    private static func suffix(_ index: Int) -> String {
        var value = index
        var result = ""
        for _ in 0..<5 {
            result.append(NameGenerator.alphabet[value % NameGenerator.alphabet.count])
            value /= NameGenerator.alphabet.count
        }
        return result
    }
}
