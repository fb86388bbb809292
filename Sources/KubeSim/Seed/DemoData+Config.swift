import GaleJSON

/// Configuration, RBAC, quotas and storage of the demo cluster.
extension DemoData {
    static func seedCluster(_ api: ClusterAPI) {
        let create = { (type: ResourceType, namespace: String?, object: JSONValue) in
            _ = try? api.create(type, namespace: namespace, object: object)
        }
        create(ResourceCatalog.storageClasses, nil, [
            "metadata": ["name": "standard", "annotations": ["storageclass.kubernetes.io/is-default-class": "true"]],
            "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer",
        ])
        create(ResourceCatalog.persistentVolumes, nil, [
            "metadata": ["name": "pv-shared"],
            "spec": [
                "capacity": ["storage": "10Gi"], "accessModes": ["ReadWriteMany"], "persistentVolumeReclaimPolicy": "Retain",
                "storageClassName": "standard", "hostPath": ["path": "/srv/shared"],
            ],
            "status": ["phase": "Available"],
        ])
        create(ResourceCatalog.clusterRoles, nil, [
            "metadata": ["name": "view-pods"],
            "rules": [["apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]]],
        ])
        create(ResourceCatalog.clusterRoleBindings, nil, [
            "metadata": ["name": "view-pods-demo"],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view-pods"],
            "subjects": [["kind": "ServiceAccount", "name": "viewer", "namespace": "demo"]],
        ])
    }

    static func seedConfig(_ api: ClusterAPI) {
        let create = { (type: ResourceType, namespace: String?, object: JSONValue) in
            _ = try? api.create(type, namespace: namespace, object: object)
        }
        for namespace in ["default", "kube-system", "kube-public", "kube-node-lease", "demo", "staging"] {
            create(ResourceCatalog.serviceAccounts, namespace, ["metadata": ["name": "default", "namespace": .string(namespace)]])
            create(ResourceCatalog.configMaps, namespace, [
                "metadata": ["name": "kube-root-ca.crt", "namespace": .string(namespace)],
                "data": ["ca.crt": "-----BEGIN CERTIFICATE-----\nMIIBkubesimdemo\n-----END CERTIFICATE-----\n"],
            ])
        }
        create(ResourceCatalog.serviceAccounts, "demo", ["metadata": ["name": "viewer", "namespace": "demo"]])
        create(ResourceCatalog.serviceAccounts, "demo", ["metadata": ["name": "deployer", "namespace": "demo"]])
        create(ResourceCatalog.configMaps, "demo", [
            "metadata": ["name": "nginx-config", "namespace": "demo", "labels": ["app": "nginx"]],
            "data": ["nginx.conf": "server {\n  listen 80;\n  location / { root /usr/share/nginx/html; }\n}\n", "worker_processes": "2"],
        ])
        create(ResourceCatalog.configMaps, "demo", [
            "metadata": ["name": "api-config", "namespace": "demo", "labels": ["app": "api"]],
            "data": ["LOG_LEVEL": "info", "DATABASE_HOST": "postgres.demo.svc", "FEATURE_FLAGS": "search,export"],
        ])
        create(ResourceCatalog.configMaps, "staging", ["metadata": ["name": "web-config", "namespace": "staging"], "data": ["ENV": "staging"]])
        create(ResourceCatalog.secrets, "demo", [
            "metadata": ["name": "api-credentials", "namespace": "demo", "labels": ["app": "api"]],
            "type": "Opaque", "data": ["username": "YXBp", "password": "czNjcjN0LWRlbW8="],
        ])
        create(ResourceCatalog.secrets, "demo", [
            "metadata": ["name": "registry-pull", "namespace": "demo"],
            "type": "kubernetes.io/dockerconfigjson", "data": [".dockerconfigjson": "eyJhdXRocyI6e319"],
        ])
        create(ResourceCatalog.roles, "demo", [
            "metadata": ["name": "deployer", "namespace": "demo"],
            "rules": [
                ["apiGroups": ["apps"], "resources": ["deployments", "deployments/scale"], "verbs": ["get", "list", "watch", "update", "patch"]],
                ["apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "delete"]],
            ],
        ])
        create(ResourceCatalog.roleBindings, "demo", [
            "metadata": ["name": "deployer", "namespace": "demo"],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "deployer"],
            "subjects": [["kind": "ServiceAccount", "name": "deployer", "namespace": "demo"]],
        ])
        create(ResourceCatalog.resourceQuotas, "demo", [
            "metadata": ["name": "demo-quota", "namespace": "demo"],
            "spec": ["hard": ["pods": "50", "requests.cpu": "8", "requests.memory": "16Gi", "limits.cpu": "16", "limits.memory": "32Gi"]],
            "status": [
                "hard": ["pods": "50", "requests.cpu": "8", "requests.memory": "16Gi", "limits.cpu": "16", "limits.memory": "32Gi"],
                "used": ["pods": "9", "requests.cpu": "450m", "requests.memory": "576Mi", "limits.cpu": "4500m", "limits.memory": "2304Mi"],
            ],
        ])
        create(ResourceCatalog.limitRanges, "demo", [
            "metadata": ["name": "demo-limits", "namespace": "demo"],
            "spec": ["limits": [[
                "type": "Container", "default": ["cpu": "500m", "memory": "256Mi"], "defaultRequest": ["cpu": "50m", "memory": "64Mi"],
                "max": ["cpu": "2", "memory": "2Gi"],
            ]]],
        ])
    }
}
