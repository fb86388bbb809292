import Foundation
import KubeSim
import Testing

/// `kubectl create …` and `kubectl expose`: the real kubectl sends protobuf bodies for these; its output and the
/// objects KubeSim stores are checked.
@Suite(.serialized, .enabled(if: Kubectl.isInstalled)) struct KubectlCreateTests {
    /// Computed: each test gets a port of its own, or parallel tests would wait for each other's.
    static var tls: KubeSimServer.Configuration { SimFixture.configuration(tls: true) }

    /// Runs kubectl and expects it to succeed with exactly `output` on stdout.
    static func expectCreated(_ kubectl: Kubectl, _ arguments: [String], _ output: String) async throws {
        let result = try await kubectl.run(arguments)
        #expect(result.status == 0, "kubectl \(arguments.joined(separator: " ")): \(result.err)")
        #expect(result.out == output + "\n", "kubectl \(arguments.joined(separator: " "))")
    }

    static func stored(_ server: KubeSimServer, _ type: ResourceType, _ namespace: String?, _ name: String) throws
        -> JSONValue
    {
        try #require(server.store.find(type, namespace: namespace, name: name), "\(type) \(name) not stored")
    }

    @Test func namespaceConfigMapAndSecrets() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            try await Self.expectCreated(kubectl, ["create", "namespace", "team-a"], "namespace/team-a created")
            let namespace = try Self.stored(server, ResourceCatalog.namespaces, nil, "team-a")
            #expect(namespace[path: ["metadata", "labels", "kubernetes.io/metadata.name"]] == "team-a")
            #expect(namespace[path: ["status", "phase"]] == "Active")

            try await Self.expectCreated(
                kubectl,
                [
                    "create", "configmap", "app-config", "-n", "team-a", "--from-literal=mode=fast",
                    "--from-literal=empty=",
                ],
                "configmap/app-config created")
            let configMap = try Self.stored(server, ResourceCatalog.configMaps, "team-a", "app-config")
            #expect(configMap["data"] == ["mode": "fast", "empty": ""])
            #expect(configMap["apiVersion"] == "v1" && configMap["kind"] == "ConfigMap")

            try await Self.expectCreated(
                kubectl,
                ["create", "secret", "generic", "creds", "-n", "team-a", "--from-literal=user=admin", "--type=Opaque"],
                "secret/creds created")
            let secret = try Self.stored(server, ResourceCatalog.secrets, "team-a", "creds")
            #expect(secret["data"] == ["user": "YWRtaW4="])
            #expect(secret["type"] == "Opaque")

            try await Self.expectCreated(
                kubectl,
                [
                    "create", "secret", "docker-registry", "pull", "-n", "team-a", "--docker-server=registry.example",
                    "--docker-username=u", "--docker-password=p",
                ],
                "secret/pull created")
            let pull = try Self.stored(server, ResourceCatalog.secrets, "team-a", "pull")
            #expect(pull["type"] == "kubernetes.io/dockerconfigjson")
            let config = try #require(
                pull[path: ["data", ".dockerconfigjson"]]?.stringValue.flatMap { Data(base64Encoded: $0) })
            #expect(try JSONValue(parsing: config)[path: ["auths", "registry.example", "username"]] == "u")

            // The answer is JSON, which kubectl accepts: -o json prints the stored object.
            let printed = try await kubectl.run(
                "get", "configmap", "app-config", "-n", "team-a", "-o", "jsonpath={.data.mode}")
            #expect(printed.out == "fast", "\(printed.err)")
            let again = try await kubectl.run("create", "configmap", "app-config", "-n", "team-a")
            #expect(again.status != 0)
            #expect(again.err.contains("configmaps \"app-config\" already exists"), "\(again.err)")
        }
    }

    @Test func deploymentRunsAndExposeSelectsItsPods() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            try await Self.expectCreated(
                kubectl, ["create", "deployment", "web", "--image=nginx:1.25", "--replicas=2", "--port=80"],
                "deployment.apps/web created")
            let deployment = try Self.stored(server, ResourceCatalog.deployments, "default", "web")
            #expect(deployment[path: ["metadata", "labels"]] == ["app": "web"])
            #expect(deployment[path: ["spec", "replicas"]] == 2)
            #expect(deployment[path: ["spec", "selector"]] == ["matchLabels": ["app": "web"]])
            #expect(deployment[path: ["spec", "template", "metadata", "labels"]] == ["app": "web"])
            let container = deployment[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first
            #expect(container?["name"] == "nginx" && container?["image"] == "nginx:1.25")
            #expect(container?["ports"] == [["containerPort": 80]])
            // The controllers run what was created.
            let webPods = ObjectFilter(namespace: "default", labelSelector: try LabelSelector(parsing: "app=web"))
            #expect(
                await SimFixture.eventually {
                    server.store.list(ResourceCatalog.pods, filter: webPods).items.count == 2
                })

            try await Self.expectCreated(
                kubectl, ["create", "deployment", "sleeper", "--image=busybox", "--", "sleep", "3600"],
                "deployment.apps/sleeper created")
            let sleeper = try Self.stored(server, ResourceCatalog.deployments, "default", "sleeper")
            #expect(
                sleeper[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first?["command"] == [
                    "sleep", "3600",
                ])
            #expect(sleeper[path: ["spec", "replicas"]] == 1)

            try await Self.expectCreated(
                kubectl, ["expose", "deployment", "web", "--port=8080", "--target-port=80", "--name=web-svc"],
                "service/web-svc exposed")
            let service = try Self.stored(server, ResourceCatalog.services, "default", "web-svc")
            #expect(service[path: ["spec", "selector"]] == ["app": "web"])
            #expect(service[path: ["spec", "ports"]] == [["port": 8080, "protocol": "TCP", "targetPort": 80]])
        }
    }

    @Test func servicesOfEveryType() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            try await Self.expectCreated(
                kubectl, ["create", "service", "clusterip", "backend", "--tcp=80:8080", "--tcp=443:https"],
                "service/backend created")
            let clusterIP = try Self.stored(server, ResourceCatalog.services, "default", "backend")
            #expect(clusterIP[path: ["spec", "type"]] == "ClusterIP")
            #expect(clusterIP[path: ["spec", "selector"]] == ["app": "backend"])
            #expect(
                clusterIP[path: ["spec", "ports"]] == [
                    ["name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080],
                    ["name": "443-https", "port": 443, "protocol": "TCP", "targetPort": "https"],
                ])

            try await Self.expectCreated(
                kubectl, ["create", "service", "nodeport", "edge", "--tcp=80:8080", "--node-port=30080"],
                "service/edge created")
            let nodePort = try Self.stored(server, ResourceCatalog.services, "default", "edge")
            #expect(nodePort[path: ["spec", "type"]] == "NodePort")
            #expect(nodePort[path: ["spec", "ports"]]?.arrayValue?.first?["nodePort"] == 30080)

            try await Self.expectCreated(
                kubectl, ["create", "service", "loadbalancer", "public", "--tcp=443:8443"], "service/public created")
            #expect(
                try Self.stored(server, ResourceCatalog.services, "default", "public")[path: ["spec", "type"]]
                    == "LoadBalancer")

            try await Self.expectCreated(
                kubectl, ["create", "service", "externalname", "upstream", "--external-name=example.com"],
                "service/upstream created")
            let external = try Self.stored(server, ResourceCatalog.services, "default", "upstream")
            #expect(external[path: ["spec", "type"]] == "ExternalName")
            #expect(external[path: ["spec", "externalName"]] == "example.com")
        }
    }

    @Test func jobCronJobAndJobFromCronJob() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            try await Self.expectCreated(
                kubectl, ["create", "job", "once", "--image=busybox", "--", "echo", "hi"], "job.batch/once created")
            let job = try Self.stored(server, ResourceCatalog.jobs, "default", "once")
            let podSpec = job[path: ["spec", "template", "spec"]]
            #expect(podSpec?["restartPolicy"] == "Never")
            #expect(
                podSpec?["containers"] == [
                    ["name": "once", "image": "busybox", "command": ["echo", "hi"], "resources": [:]]
                ])
            #expect(
                await SimFixture.eventually {
                    server.store.find(ResourceCatalog.jobs, namespace: "default", name: "once")?[path: [
                        "status", "succeeded",
                    ]] == 1
                })

            try await Self.expectCreated(
                kubectl, ["create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"],
                "cronjob.batch/tick created")
            let cronJob = try Self.stored(server, ResourceCatalog.cronJobs, "default", "tick")
            #expect(cronJob[path: ["spec", "schedule"]] == "*/5 * * * *")
            let template = cronJob[path: ["spec", "jobTemplate", "spec", "template", "spec"]]
            #expect(template?["restartPolicy"] == "OnFailure")
            #expect(template?["containers"]?.arrayValue?.first?["command"] == ["date"])

            // --from sends the Job with the CronJob as its controlling owner and kubectl's annotation.
            try await Self.expectCreated(
                kubectl, ["create", "job", "manual", "--from=cronjob/tick"], "job.batch/manual created")
            let manual = try Self.stored(server, ResourceCatalog.jobs, "default", "manual")
            let owner = manual[path: ["metadata", "ownerReferences"]]?.arrayValue?.first
            #expect(owner?["kind"] == "CronJob" && owner?["name"] == "tick" && owner?["controller"] == true)
            #expect(owner?["uid"] == cronJob[path: ["metadata", "uid"]])
            #expect(manual[path: ["metadata", "annotations", "cronjob.kubernetes.io/instantiate"]] == "manual")
        }
    }

    @Test func serviceAccountRolesAndBindings() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            try await Self.expectCreated(
                kubectl, ["create", "serviceaccount", "builder"], "serviceaccount/builder created")
            #expect(
                try Self.stored(server, ResourceCatalog.serviceAccounts, "default", "builder")["kind"]
                    == "ServiceAccount")

            try await Self.expectCreated(
                kubectl,
                [
                    "create", "role", "pod-reader", "--verb=get,list", "--resource=pods,deployments.apps",
                    "--resource-name=web",
                ],
                "role.rbac.authorization.k8s.io/pod-reader created")
            let role = try Self.stored(server, ResourceCatalog.roles, "default", "pod-reader")
            #expect(
                role["rules"] == [
                    ["verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["web"]],
                    [
                        "verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments"],
                        "resourceNames": ["web"],
                    ],
                ])

            try await Self.expectCreated(
                kubectl,
                [
                    "create", "rolebinding", "read-pods", "--role=pod-reader", "--user=alice", "--group=devs",
                    "--serviceaccount=default:builder",
                ],
                "rolebinding.rbac.authorization.k8s.io/read-pods created")
            let binding = try Self.stored(server, ResourceCatalog.roleBindings, "default", "read-pods")
            #expect(
                binding["roleRef"] == ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"])
            #expect(
                binding["subjects"] == [
                    ["kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"],
                    ["kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"],
                    ["kind": "ServiceAccount", "name": "builder", "namespace": "default"],
                ])

            try await Self.expectCreated(
                kubectl, ["create", "clusterrole", "node-reader", "--verb=get", "--resource=nodes"],
                "clusterrole.rbac.authorization.k8s.io/node-reader created")
            try await Self.expectCreated(
                kubectl, ["create", "clusterrolebinding", "read-nodes", "--clusterrole=node-reader", "--user=alice"],
                "clusterrolebinding.rbac.authorization.k8s.io/read-nodes created")
            let clusterBinding = try Self.stored(server, ResourceCatalog.clusterRoleBindings, nil, "read-nodes")
            #expect(clusterBinding[path: ["roleRef", "name"]] == "node-reader")

            // The stored RBAC objects take effect.
            let canI = try await kubectl.run("auth", "can-i", "get", "pods/web", "--as=alice")
            #expect(canI.out == "yes\n", "\(canI.err)")
            let cannot = try await kubectl.run("auth", "can-i", "get", "pods/other", "--as=alice")
            #expect(cannot.out == "no\n", "\(cannot.err)")
        }
    }

    @Test func quotaIngressAndServerDryRun() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            try await Self.expectCreated(
                kubectl, ["create", "quota", "small", "--hard=pods=10,requests.cpu=2"], "resourcequota/small created")
            #expect(
                try Self.stored(server, ResourceCatalog.resourceQuotas, "default", "small")[path: ["spec", "hard"]]
                    == ["pods": "10", "requests.cpu": "2"])

            try await Self.expectCreated(
                kubectl, ["create", "ingress", "site", "--rule=example.com/app*=web:8080"],
                "ingress.networking.k8s.io/site created")
            let rule = try Self.stored(server, ResourceCatalog.ingresses, "default", "site")[path: ["spec", "rules"]]?
                .arrayValue?.first
            #expect(rule?["host"] == "example.com")
            #expect(
                rule?[path: ["http", "paths"]] == [
                    [
                        "path": "/app", "pathType": "Prefix",
                        "backend": ["service": ["name": "web", "port": ["number": 8080]]],
                    ]
                ])

            let dryRun = try await kubectl.run(
                "create", "configmap", "preview", "--from-literal=a=b", "--dry-run=server", "-o", "jsonpath={.data.a}")
            #expect(dryRun.status == 0 && dryRun.out == "b", "\(dryRun.err)")
            #expect(server.store.find(ResourceCatalog.configMaps, namespace: "default", name: "preview") == nil)
        }
    }
}
