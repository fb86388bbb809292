import Foundation
import GaleJSON

/// The demo cluster: namespaces, nodes, workloads, services, config, RBAC, quotas and storage.
enum DemoData {
    static func seed(_ api: ClusterAPI) {
        for name in ["default", "kube-system", "kube-public", "kube-node-lease", "demo", "staging"] {
            _ = try? api.create(ResourceCatalog.namespaces, namespace: nil, object: ["metadata": ["name": .string(name)]])
        }
        seedNodes(api)
        seedCluster(api)
        seedWorkloads(api)
        seedConfig(api)
    }

    static func node(_ name: String, ip: String, controlPlane: Bool) -> JSONValue {
        var labels: [String: String] = [
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
        ]
        if controlPlane { labels["node-role.kubernetes.io/control-plane"] = "" }
        var spec: JSONValue = ["podCIDR": .string("10.244.\(ip.split(separator: ".").last ?? "0").0/24")]
        if controlPlane { spec["taints"] = [["key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"]] }
        let now = KubeTime.format(.now)
        let conditions: [JSONValue] = [
            ("MemoryPressure", "False", "KubeletHasSufficientMemory"), ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
            ("PIDPressure", "False", "KubeletHasSufficientPID"), ("Ready", "True", "KubeletReady"),
        ].map { ["type": .string($0.0), "status": .string($0.1), "reason": .string($0.2), "message": .string($0.2), "lastHeartbeatTime": .string(now), "lastTransitionTime": .string(now)] }
        return [
            "metadata": ["name": .string(name), "labels": .strings(labels)],
            "spec": spec,
            "status": [
                "capacity": ["cpu": "4", "memory": "16323720Ki", "pods": "110", "ephemeral-storage": "102687672Ki"],
                "allocatable": ["cpu": "4", "memory": "16221320Ki", "pods": "110", "ephemeral-storage": "94636958229"],
                "conditions": .array(conditions),
                "addresses": [["type": "InternalIP", "address": .string(ip)], ["type": "Hostname", "address": .string(name)]],
                "nodeInfo": [
                    "kubeletVersion": "v1.32.4", "kubeProxyVersion": "v1.32.4", "containerRuntimeVersion": "containerd://1.7.27",
                    "osImage": "Ubuntu 24.04.2 LTS", "kernelVersion": "6.8.0-57-generic", "operatingSystem": "linux",
                    "architecture": "amd64", "machineID": .string(NameGenerator.hash(name)), "systemUUID": .string(NameGenerator.hash(ip)),
                    "bootID": .string(NameGenerator.hash(name + ip)),
                ],
            ],
        ]
    }

    static func seedNodes(_ api: ClusterAPI) {
        _ = try? api.store.create(ResourceCatalog.nodes, namespace: nil, object: node("kubesim-control-plane", ip: "172.18.0.2", controlPlane: true))
        _ = try? api.store.create(ResourceCatalog.nodes, namespace: nil, object: node("kubesim-worker", ip: "172.18.0.3", controlPlane: false))
        _ = try? api.store.create(ResourceCatalog.nodes, namespace: nil, object: node("kubesim-worker2", ip: "172.18.0.4", controlPlane: false))
    }

    static func podTemplate(app: String, image: String, port: Int? = nil, extraLabels: [String: String] = [:], env: [String: String] = [:]) -> JSONValue {
        var container: JSONValue = [
            "name": .string(app), "image": .string(image), "imagePullPolicy": "IfNotPresent",
            "resources": ["requests": ["cpu": "50m", "memory": "64Mi"], "limits": ["cpu": "500m", "memory": "256Mi"]],
        ]
        if let port { container["ports"] = [["containerPort": .int(Int64(port)), "protocol": "TCP"]] }
        if !env.isEmpty { container["env"] = .array(env.sorted { $0.key < $1.key }.map { ["name": .string($0.key), "value": .string($0.value)] }) }
        var labels = ["app": app]
        for (key, value) in extraLabels { labels[key] = value }
        return ["metadata": ["labels": .strings(labels)], "spec": ["containers": [container]]]
    }

    static func deployment(_ name: String, namespace: String, replicas: Int, image: String, port: Int, tier: String) -> JSONValue {
        [
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": ["app": .string(name), "tier": .string(tier)]],
            "spec": [
                "replicas": .int(Int64(replicas)), "revisionHistoryLimit": 10, "selector": ["matchLabels": ["app": .string(name)]],
                "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": "25%"]],
                "template": podTemplate(app: name, image: image, port: port, extraLabels: ["tier": tier], env: ["APP_ENV": namespace]),
            ],
        ]
    }

    static func service(_ name: String, namespace: String, port: Int, targetPort: Int, ip: String, type: String = "ClusterIP") -> JSONValue {
        [
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": ["app": .string(name)]],
            "spec": [
                "type": .string(type), "clusterIP": .string(ip), "clusterIPs": [.string(ip)], "selector": ["app": .string(name)],
                "ports": [["name": "http", "port": .int(Int64(port)), "targetPort": .int(Int64(targetPort)), "protocol": "TCP"]],
                "sessionAffinity": "None", "ipFamilies": ["IPv4"],
            ],
        ]
    }

    static func seedWorkloads(_ api: ClusterAPI) {
        let create = { (type: ResourceType, namespace: String?, object: JSONValue) in
            _ = try? api.create(type, namespace: namespace, object: object)
        }
        create(ResourceCatalog.deployments, "demo", deployment("nginx", namespace: "demo", replicas: 3, image: "nginx:1.27", port: 80, tier: "frontend"))
        create(ResourceCatalog.deployments, "demo", deployment("api", namespace: "demo", replicas: 2, image: "ghcr.io/kubegale/demo-api:1.4.2", port: 8080, tier: "backend"))
        create(ResourceCatalog.deployments, "staging", deployment("web", namespace: "staging", replicas: 1, image: "nginx:1.26", port: 80, tier: "frontend"))
        create(ResourceCatalog.deployments, "kube-system", deployment("coredns", namespace: "kube-system", replicas: 2, image: "registry.k8s.io/coredns/coredns:v1.11.3", port: 53, tier: "dns"))
        var redis = podTemplate(app: "redis", image: "redis:7.4", port: 6379)
        redis[path: ["spec", "containers"]] = [
            [
                "name": "redis", "image": "redis:7.4", "ports": [["containerPort": 6379, "protocol": "TCP"]],
                "volumeMounts": [["name": "data", "mountPath": "/data"]],
            ]
        ]
        create(ResourceCatalog.statefulSets, "demo", [
            "metadata": ["name": "redis", "namespace": "demo", "labels": ["app": "redis"]],
            "spec": [
                "replicas": 2, "serviceName": "redis", "selector": ["matchLabels": ["app": "redis"]], "template": redis,
                "podManagementPolicy": "OrderedReady", "updateStrategy": ["type": "RollingUpdate"],
                "volumeClaimTemplates": [
                    ["metadata": ["name": "data"], "spec": ["accessModes": ["ReadWriteOnce"], "storageClassName": "standard", "resources": ["requests": ["storage": "1Gi"]]]]
                ],
            ],
        ])
        create(ResourceCatalog.daemonSets, "kube-system", [
            "metadata": ["name": "kube-proxy", "namespace": "kube-system", "labels": ["k8s-app": "kube-proxy"]],
            "spec": [
                "selector": ["matchLabels": ["app": "kube-proxy"]],
                "template": {
                    var template = podTemplate(app: "kube-proxy", image: "registry.k8s.io/kube-proxy:v1.32.4")
                    template[path: ["spec", "tolerations"]] = [["operator": "Exists"]]
                    return template
                }(),
                "updateStrategy": ["type": "RollingUpdate"],
            ],
        ])
        create(ResourceCatalog.daemonSets, "demo", [
            "metadata": ["name": "log-agent", "namespace": "demo", "labels": ["app": "log-agent"]],
            "spec": ["selector": ["matchLabels": ["app": "log-agent"]], "template": podTemplate(app: "log-agent", image: "fluent/fluent-bit:3.2")],
        ])
        var jobTemplate = podTemplate(app: "report", image: "busybox:1.36")
        jobTemplate[path: ["spec", "restartPolicy"]] = "OnFailure"
        create(ResourceCatalog.cronJobs, "demo", [
            "metadata": ["name": "report", "namespace": "demo"],
            "spec": [
                "schedule": "*/5 * * * *", "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                "jobTemplate": ["spec": ["completions": 1, "parallelism": 1, "backoffLimit": 2, "template": jobTemplate]],
            ],
        ])
        create(ResourceCatalog.services, "demo", service("nginx", namespace: "demo", port: 80, targetPort: 80, ip: "10.96.12.40"))
        create(ResourceCatalog.services, "demo", service("api", namespace: "demo", port: 8080, targetPort: 8080, ip: "10.96.33.7"))
        create(ResourceCatalog.services, "demo", service("redis", namespace: "demo", port: 6379, targetPort: 6379, ip: "10.96.50.2"))
        create(ResourceCatalog.services, "staging", service("web", namespace: "staging", port: 80, targetPort: 80, ip: "10.96.80.9", type: "NodePort"))
        create(ResourceCatalog.services, "default", [
            "metadata": ["name": "kubernetes", "namespace": "default", "labels": ["component": "apiserver", "provider": "kubernetes"]],
            "spec": ["type": "ClusterIP", "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"], "ports": [["name": "https", "port": 443, "targetPort": 6443, "protocol": "TCP"]]],
        ])
        create(ResourceCatalog.ingresses, "demo", [
            "metadata": ["name": "nginx", "namespace": "demo"],
            "spec": [
                "ingressClassName": "nginx",
                "rules": [["host": "demo.kubesim.local", "http": ["paths": [
                    ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "nginx", "port": ["number": 80]]]],
                    ["path": "/api", "pathType": "Prefix", "backend": ["service": ["name": "api", "port": ["number": 8080]]]],
                ]]]],
            ],
            "status": ["loadBalancer": ["ingress": [["ip": "172.18.0.100"]]]],
        ])
    }
}
