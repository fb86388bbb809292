import Foundation
import KubeSim
import TestSupport
import Testing

/// kubectl conformance: the real kubectl binary against the simulator, asserting on its output.
@Suite(.serialized, .enabled(if: Kubectl.isInstalled)) struct KubectlTests {
    /// Computed: each test gets a port of its own, or parallel tests would wait for each other's.
    static var tls: KubeSimServer.Configuration { SimFixture.configuration(tls: true) }

    @Test func getListsEveryKind() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let kinds = "pods,deploy,rs,sts,ds,jobs,cronjobs,svc,ing,ep,pv,pvc,sc,cm,secrets,roles,clusterroles,rolebindings,"
                + "clusterrolebindings,sa,nodes,ns,quota,limits,controllerrevisions"
            let all = try await kubectl.run("get", kinds, "-A")
            #expect(all.status == 0, "\(all.err)")
            for expected in [
                "pod/nginx-", "deployment.apps/nginx", "replicaset.apps/nginx-", "statefulset.apps/redis", "daemonset.apps/kube-proxy",
                "cronjob.batch/report", "service/nginx", "ingress.networking.k8s.io/nginx", "endpoints/nginx", "persistentvolume/pv-shared",
                "persistentvolumeclaim/data-redis-0", "storageclass.storage.k8s.io/standard", "configmap/nginx-config",
                "secret/api-credentials", "role.rbac.authorization.k8s.io/deployer", "clusterrole.rbac.authorization.k8s.io/view-pods",
                "rolebinding.rbac.authorization.k8s.io/deployer", "clusterrolebinding.rbac.authorization.k8s.io/view-pods-demo",
                "serviceaccount/viewer", "node/kubesim-worker", "namespace/staging", "resourcequota/demo-quota",
                "limitrange/demo-limits", "controllerrevision.apps/redis-",
            ] {
                #expect(all.out.contains(expected), "missing \(expected)")
            }
            let labelled = try await kubectl.run("get", "po", "-n", "demo", "-l", "app=nginx")
            #expect(labelled.out.split(separator: "\n").dropFirst().count == 3)
            #expect(!labelled.out.contains("api-"))
            let json = try await kubectl.run("get", "deploy", "-n", "demo", "-o", "json")
            let list = try JSONValue(parsing: json.out)
            #expect(list["kind"] == "List")
            #expect(list["items"]?.arrayValue?.compactMap { $0[path: ["metadata", "name"]]?.stringValue }.sorted() == ["api", "nginx"])
            let events = try await kubectl.run("get", "events", "-n", "demo", "--field-selector", "reason=Scheduled")
            #expect(events.out.contains("Successfully assigned") || events.out.contains("nginx-"))
        }
    }

    @Test func getWatchSeesChanges() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            let watch = try kubectl.start("get", "cm", "-n", "demo", "-w")
            defer { watch.stop() }
            #expect(await SimFixture.eventually { watch.output.contains("nginx-config") })
            #expect(await SimFixture.eventually { server.faults.openWatchCount(ResourceCatalog.configMaps) == 1 })
            try server.api.create(ResourceCatalog.configMaps, namespace: "demo", object: ["metadata": ["name": "made-meanwhile"]])
            #expect(await SimFixture.eventually { watch.output.contains("made-meanwhile") }, "\(watch.output) \(watch.errorOutput)")
            watch.stop()
            #expect(await SimFixture.eventually { server.faults.openWatchCount(ResourceCatalog.configMaps) == 0 })
        }
    }

    @Test func logsTailAndFollow() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try #require(server.store.list(ResourceCatalog.pods, filter: .init(namespace: "demo", labelSelector: try LabelSelector(parsing: "app=nginx"))).items.first?[path: ["metadata", "name"]]?.stringValue)
            // A pod that just started may have written a single line so far.
            var tail = try await kubectl.run("logs", "-n", "demo", pod, "--tail=2", "--timestamps")
            _ = await SimFixture.eventually {
                tail = (try? await kubectl.run("logs", "-n", "demo", pod, "--tail=2", "--timestamps")) ?? tail
                return tail.out.split(separator: "\n").count == 2
            }
            #expect(tail.status == 0, "\(tail.err)")
            let lines = tail.out.split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.allSatisfy { KubeTime.parse(String($0.split(separator: " ")[0])) != nil })
            let follow = try kubectl.start("logs", "-n", "demo", pod, "-f", "--tail=1")
            defer { follow.stop() }
            #expect(await SimFixture.eventually { follow.output.split(separator: "\n").count >= 4 }, "\(follow.output)")
            let previous = try await kubectl.run("logs", "-n", "demo", pod, "--previous")
            #expect(previous.status != 0)
            #expect(previous.err.contains("previous terminated container"))
        }
    }

    @Test func execEchoExitCodeAndCopy() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let pod = try #require(server.store.list(ResourceCatalog.pods, filter: .init(namespace: "demo", labelSelector: try LabelSelector(parsing: "app=nginx"))).items.first?[path: ["metadata", "name"]]?.stringValue)
            let echo = try await kubectl.run("exec", "-n", "demo", pod, "--", "echo", "hello")
            #expect(echo.status == 0, "\(echo.err)")
            #expect(echo.out == "hello\n")
            let failing = try await kubectl.run("exec", "-n", "demo", pod, "--", "sh", "-c", "echo oops >&2; exit 3")
            #expect(failing.status == 3)
            let piped = try await kubectl.run("exec", "-i", "-n", "demo", pod, "--", "cat", stdin: Data("from stdin\n".utf8))
            #expect(piped.out == "from stdin\n", "\(piped.err)")
            let directory = NSTemporaryDirectory() + "kubesim-cp-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try "copied content\n".write(toFile: directory + "/up.txt", atomically: true, encoding: .utf8)
            let up = try await kubectl.run("cp", directory + "/up.txt", "demo/\(pod):/tmp/up.txt")
            #expect(up.status == 0, "\(up.err)")
            let cat = try await kubectl.run("exec", "-n", "demo", pod, "--", "cat", "/tmp/up.txt")
            #expect(cat.out == "copied content\n")
            let down = try await kubectl.run("cp", "demo/\(pod):/tmp/up.txt", directory + "/down.txt")
            #expect(down.status == 0, "\(down.err)")
            #expect(try String(contentsOfFile: directory + "/down.txt", encoding: .utf8) == "copied content\n")
        }
    }

    @Test func scaleAndRolloutUndo() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let scaled = try await kubectl.run("scale", "-n", "demo", "deployment/nginx", "--replicas=5")
            #expect(scaled.out.contains("deployment.apps/nginx scaled"))
            #expect(await SimFixture.waitForDemoPods(server, count: 5))
            let original = try server.store.list(ResourceCatalog.replicaSets, filter: .init(namespace: "demo", labelSelector: try LabelSelector(parsing: "app=nginx"))).items
            #expect(original.count == 1)
            #expect(try await kubectl.run("set", "image", "-n", "demo", "deployment/nginx", "nginx=nginx:1.28").status == 0)
            #expect(await SimFixture.eventually {
                let sets = server.store.list(ResourceCatalog.replicaSets, filter: .init(namespace: "demo", labelSelector: try! LabelSelector(parsing: "app=nginx"))).items
                return sets.count == 2 && sets.contains { $0[path: ["spec", "replicas"]] == 5 && $0[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]] == "2" }
            })
            let undo = try await kubectl.run("rollout", "undo", "-n", "demo", "deployment/nginx")
            #expect(undo.out.contains("rolled back"), "\(undo.err)")
            let originalName = original[0][path: ["metadata", "name"]]?.stringValue
            #expect(await SimFixture.eventually {
                let sets = server.store.list(ResourceCatalog.replicaSets, filter: .init(namespace: "demo", labelSelector: try! LabelSelector(parsing: "app=nginx"))).items
                let current = sets.first { $0[path: ["metadata", "name"]]?.stringValue == originalName }
                return sets.count == 2 && current?[path: ["spec", "replicas"]] == 5
                    && current?[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]] == "3"
            })
            let status = try await kubectl.run("rollout", "status", "-n", "demo", "deployment/nginx", "--timeout=20s")
            #expect(status.out.contains("successfully rolled out"), "\(status.out) \(status.err)")
        }
    }

    @Test func applyAndDelete() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            let file = NSTemporaryDirectory() + "kubesim-apply-\(UUID().uuidString).yaml"
            defer { try? FileManager.default.removeItem(atPath: file) }
            func manifest(_ replicas: Int) -> String {
                """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: hello
                  namespace: staging
                spec:
                  replicas: \(replicas)
                  selector:
                    matchLabels: {app: hello}
                  template:
                    metadata:
                      labels: {app: hello}
                    spec:
                      containers:
                      - name: hello
                        image: nginx:1.27
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: hello-config
                  namespace: staging
                data:
                  greeting: hi
                """
            }
            try manifest(1).write(toFile: file, atomically: true, encoding: .utf8)
            let created = try await kubectl.run("apply", "-f", file)
            #expect(created.status == 0, "\(created.err)")
            #expect(created.out.contains("deployment.apps/hello created"))
            #expect(created.out.contains("configmap/hello-config created"))
            try manifest(2).write(toFile: file, atomically: true, encoding: .utf8)
            let configured = try await kubectl.run("apply", "-f", file)
            #expect(configured.out.contains("deployment.apps/hello configured"), "\(configured.err)")
            #expect(configured.out.contains("configmap/hello-config unchanged"))
            #expect(await SimFixture.eventually {
                server.store.list(ResourceCatalog.pods, filter: .init(namespace: "staging", labelSelector: try! LabelSelector(parsing: "app=hello"))).items.count == 2
            })
            let deleted = try await kubectl.run("delete", "-f", file)
            #expect(deleted.out.contains("deployment.apps \"hello\" deleted"), "\(deleted.err)")
            #expect(await SimFixture.eventually {
                server.store.list(ResourceCatalog.pods, filter: .init(namespace: "staging", labelSelector: try! LabelSelector(parsing: "app=hello"))).items.isEmpty
            })
            let namespace = try await kubectl.run("delete", "namespace", "staging")
            #expect(namespace.status == 0, "\(namespace.err)")
            #expect(server.store.find(ResourceCatalog.namespaces, namespace: nil, name: "staging") == nil)
            #expect(server.store.list(ResourceCatalog.configMaps, filter: .init(namespace: "staging")).items.isEmpty)
        }
    }

    @Test func cordonAndDrain() async throws {
        try await SimFixture.withServer(Self.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let cordon = try await kubectl.run("cordon", "kubesim-worker")
            #expect(cordon.out.contains("node/kubesim-worker cordoned"), "\(cordon.err)")
            #expect(server.store.find(ResourceCatalog.nodes, namespace: nil, name: "kubesim-worker")?[path: ["spec", "unschedulable"]] == true)
            let drain = try await kubectl.run("drain", "kubesim-worker", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=30s")
            #expect(drain.status == 0, "\(drain.out) \(drain.err)")
            #expect(drain.out.contains("node/kubesim-worker drained"))
            #expect(await SimFixture.eventually {
                let pods = server.store.list(ResourceCatalog.pods).items
                let onNode = pods.filter { $0[path: ["spec", "nodeName"]] == "kubesim-worker" }
                let nonDaemon = onNode.filter { pod in
                    !(pod[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []).contains { $0["kind"] == "DaemonSet" }
                }
                return nonDaemon.isEmpty
            })
            #expect(await SimFixture.waitForDemoPods(server))
            let top = try await kubectl.run("top", "nodes")
            #expect(top.out.contains("kubesim-worker2"), "\(top.err)")
        }
    }
}
