import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the real kubectl's output,
/// and the Table objects on the wire.
@Suite(.serialized) struct TablePrintingTests {
    static let kubectlAccept =
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

    /// The words of each output line (kubectl pads columns with spaces; multi-word headers stay apart).
    static func rows(_ output: String) -> [[String]] {
        output.split(separator: "\n").map { line in
            line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }
    }

    static func demoPod(_ server: KubeSimServer, app: String = "nginx") throws -> JSONValue {
        try #require(
            server.store.list(
                ResourceCatalog.pods,
                filter: .init(namespace: "demo", labelSelector: try LabelSelector(parsing: "app=\(app)"))
            ).items.first)
    }

    @Test(.enabled(if: Kubectl.isInstalled)) func getPodsAllNamespacesShowsReadyStatusRestarts() async throws {
        try await SimFixture.withServer(KubectlTests.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let result = try await kubectl.run("get", "pods", "-A")
            #expect(result.status == 0, "\(result.err)")
            let lines = Self.rows(result.out)
            #expect(lines.first == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"], "\(result.out)")
            let pod = try Self.demoPod(server)
            let name = try #require(pod[path: ["metadata", "name"]]?.stringValue)
            let row = try #require(lines.first { $0.count > 1 && $0[1] == name }, "\(result.out)")
            #expect(Array(row.prefix(5)) == ["demo", name, "1/1", "Running", "0"], "\(row)")
            #expect(row.count == 6)
        }
    }

    @Test(.enabled(if: Kubectl.isInstalled)) func getPodsWideAddsIPAndNode() async throws {
        try await SimFixture.withServer(KubectlTests.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let result = try await kubectl.run("get", "pods", "-n", "demo", "-l", "app=nginx", "-o", "wide")
            #expect(result.status == 0, "\(result.err)")
            let lines = Self.rows(result.out)
            #expect(
                lines.first == [
                    "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE", "READINESS",
                    "GATES",
                ],
                "\(result.out)")
            #expect(lines.count == 4)
            let pod = try Self.demoPod(server)
            let name = try #require(pod[path: ["metadata", "name"]]?.stringValue)
            let ip = try #require(pod[path: ["status", "podIP"]]?.stringValue)
            let node = try #require(pod[path: ["spec", "nodeName"]]?.stringValue)
            let row = try #require(lines.first { $0.first == name })
            #expect(Array(row.suffix(4)) == [ip, node, "<none>", "<none>"], "\(row)")
        }
    }

    @Test(.enabled(if: Kubectl.isInstalled)) func getDeploymentsShowsReadyUpToDateAvailable() async throws {
        try await SimFixture.withServer(KubectlTests.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            var result = try await kubectl.run("get", "deploy", "-n", "demo")
            let settled = await SimFixture.eventually {
                result = (try? await kubectl.run("get", "deploy", "-n", "demo")) ?? result
                return Self.rows(result.out).contains { $0.prefix(4) == ["nginx", "3/3", "3", "3"] }
            }
            #expect(settled, "\(result.out) \(result.err)")
            let lines = Self.rows(result.out)
            #expect(lines.first == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], "\(result.out)")
            #expect(lines.contains { $0.prefix(4) == ["api", "2/2", "2", "2"] }, "\(result.out)")
            let wide = try await kubectl.run("get", "deploy", "nginx", "-n", "demo", "-o", "wide")
            #expect(
                Self.rows(wide.out).first == [
                    "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR",
                ])
            #expect(Self.rows(wide.out).last?.suffix(3) == ["nginx", "nginx:1.27", "app=nginx"], "\(wide.out)")
        }
    }

    @Test(.enabled(if: Kubectl.isInstalled)) func getServicesNodesAndEvents() async throws {
        try await SimFixture.withServer(KubectlTests.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let services = try await kubectl.run("get", "svc", "-n", "demo")
            #expect(
                Self.rows(services.out).first == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
                "\(services.out)")
            #expect(
                Self.rows(services.out).contains {
                    $0.prefix(5) == ["nginx", "ClusterIP", "10.96.12.40", "<none>", "80/TCP"]
                })
            let nodes = try await kubectl.run("get", "nodes")
            #expect(Self.rows(nodes.out).first == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], "\(nodes.out)")
            let controlPlane = try #require(Self.rows(nodes.out).first { $0.first == "kubesim-control-plane" })
            #expect(controlPlane.prefix(3) == ["kubesim-control-plane", "Ready", "control-plane"])
            #expect(controlPlane.last == "v1.32.4")
            #expect(Self.rows(nodes.out).first { $0.first == "kubesim-worker" }?[2] == "<none>")
            let wideNodes = try await kubectl.run("get", "nodes", "-o", "wide")
            #expect(
                wideNodes.out.contains("INTERNAL-IP") && wideNodes.out.contains("172.18.0.2")
                    && wideNodes.out.contains("containerd://1.7.27"))
            let both = try await kubectl.run("get", "svc,nodes", "-A")
            #expect(both.status == 0, "\(both.err)")
            #expect(both.out.contains("service/nginx") && both.out.contains("node/kubesim-worker2"), "\(both.out)")
            let events = try await kubectl.run("get", "events", "-n", "demo", "--field-selector", "reason=Scheduled")
            let eventRows = Self.rows(events.out)
            #expect(eventRows.first == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], "\(events.out)")
            #expect(
                eventRows.dropFirst().contains {
                    $0.count > 4 && $0[1] == "Normal" && $0[2] == "Scheduled" && $0[3].hasPrefix("pod/")
                })
            #expect(events.out.contains("Successfully assigned demo/"))
            let roles = try await kubectl.run("get", "clusterroles", "view-pods")
            #expect(Self.rows(roles.out).first == ["NAME", "CREATED", "AT"], "\(roles.out)")
        }
    }

    @Test(.enabled(if: Kubectl.isInstalled)) func getWatchPrintsChangedRows() async throws {
        try await SimFixture.withServer(KubectlTests.tls) { server in
            let kubectl = try Kubectl(server)
            #expect(await SimFixture.waitForDemoPods(server))
            let watch = try kubectl.start("get", "pods", "-n", "demo", "-w")
            defer { watch.stop() }
            #expect(await SimFixture.eventually { watch.output.contains("nginx-") }, "\(watch.errorOutput)")
            #expect(await SimFixture.eventually { server.faults.openWatchCount(ResourceCatalog.pods) >= 1 })
            try server.api.create(
                ResourceCatalog.pods, namespace: "demo",
                object: [
                    "metadata": ["name": "watched"],
                    "spec": ["containers": [["name": "main", "image": "busybox:1.36"]]],
                ])
            let running = await SimFixture.eventually {
                Self.rows(watch.output).contains { $0.prefix(3) == ["watched", "1/1", "Running"] }
            }
            #expect(running, "\(watch.output) \(watch.errorOutput)")
            #expect(
                Self.rows(watch.output).contains { $0.prefix(3) == ["watched", "0/1", "Pending"] }, "\(watch.output)")
            #expect(watch.output.components(separatedBy: "RESTARTS").count == 2, "one header: \(watch.output)")
        }
    }

    // MARK: The wire

    struct Answer {
        let status: Int
        let json: JSONValue
    }

    static func get(_ server: KubeSimServer, _ path: String, accept: String = kubectlAccept) async throws -> Answer {
        var request = HTTPClientRequest(url: server.url! + path)
        request.headers.add(name: "Authorization", value: "Bearer \(server.token)")
        request.headers.add(name: "Accept", value: accept)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), json: try JSONValue(parsing: body.readableBytesView))
    }

    @Test func listAnswersATableWithPartialObjectMetadataRows() async throws {
        try await SimFixture.withServer { server in
            #expect(await SimFixture.waitForDemoPods(server))
            // The controllers keep the namespace moving (a CronJob starts pods): the rows are
            // compared with the store as it was while the request ran, so asked again until the
            // store held still across one.
            func podCount() -> Int {
                server.store.list(ResourceCatalog.pods, filter: .init(namespace: "demo")).items.count
            }
            var (latest, count) = (nil as Answer?, 0)
            for _ in 0..<20 {
                let before = podCount()
                latest = try await Self.get(server, "/api/v1/namespaces/demo/pods")
                count = podCount()
                if before == count { break }
            }
            let answer = try #require(latest)
            #expect(answer.status == 200)
            let table = answer.json
            #expect(table["kind"] == "Table")
            #expect(table["apiVersion"] == "meta.k8s.io/v1")
            #expect(table[path: ["metadata", "resourceVersion"]]?.stringValue != nil)
            let columns = try #require(table["columnDefinitions"]?.arrayValue)
            #expect(
                columns.compactMap { $0["name"]?.stringValue } == [
                    "Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates",
                ])
            #expect(columns.map { $0["priority"]?.intValue } == [0, 0, 0, 0, 0, 1, 1, 1, 1])
            #expect(columns.first?["format"] == "name")
            let rows = try #require(table["rows"]?.arrayValue)
            #expect(rows.count == count)
            let row = try #require(rows.first)
            #expect(row["cells"]?.arrayValue?.count == 9)
            #expect(row[path: ["object", "kind"]] == "PartialObjectMetadata")
            #expect(row[path: ["object", "apiVersion"]] == "meta.k8s.io/v1")
            #expect(row[path: ["object", "metadata", "namespace"]] == "demo")
            #expect(row[path: ["object", "spec"]] == nil)
        }
    }

    @Test func includeObjectVersionsPagingAndSingleObjects() async throws {
        try await SimFixture.withServer { server in
            let whole = try await Self.get(server, "/api/v1/namespaces/demo/services?includeObject=Object")
            #expect(whole.json[path: ["rows"]]?.arrayValue?.first?[path: ["object", "kind"]] == "Service")
            #expect(whole.json[path: ["rows"]]?.arrayValue?.first?[path: ["object", "spec", "ports"]] != nil)
            let none = try await Self.get(server, "/api/v1/namespaces/demo/services?includeObject=None")
            #expect(none.json[path: ["rows"]]?.arrayValue?.allSatisfy { $0["object"] == .null } == true)
            let beta = try await Self.get(
                server, "/apis/apps/v1/deployments", accept: "application/json;as=Table;v=v1beta1;g=meta.k8s.io")
            #expect(beta.json["apiVersion"] == "meta.k8s.io/v1beta1")
            let page = try await Self.get(server, "/api/v1/namespaces?limit=2")
            #expect(page.json["rows"]?.arrayValue?.count == 2)
            let token = try #require(page.json[path: ["metadata", "continue"]]?.stringValue)
            #expect(page.json[path: ["metadata", "remainingItemCount"]]?.intValue ?? 0 > 0)
            let next = try await Self.get(server, "/api/v1/namespaces?limit=2&continue=\(token)")
            #expect(next.json["kind"] == "Table")
            #expect(next.json["rows"]?.arrayValue?.first?["cells"] != page.json["rows"]?.arrayValue?.first?["cells"])
            let one = try await Self.get(server, "/api/v1/namespaces/demo/services/nginx")
            #expect(one.json["kind"] == "Table")
            #expect(one.json["rows"]?.arrayValue?.count == 1)
            #expect(
                one.json["rows"]?.arrayValue?.first?["cells"]?.arrayValue?.prefix(5) == [
                    "nginx", "ClusterIP", "10.96.12.40", "<none>", "80/TCP",
                ])
            let plain = try await Self.get(server, "/api/v1/namespaces/demo/services/nginx", accept: "application/json")
            #expect(plain.json["kind"] == "Service")
        }
    }

    @Test func badTableRequestsGetClearErrors() async throws {
        try await SimFixture.withServer(SimFixture.configuration(seed: false)) { server in
            let bogus = try await Self.get(server, "/api/v1/namespaces?includeObject=Everything")
            #expect(bogus.status == 400)
            #expect(bogus.json["message"]?.stringValue?.contains("includeObject") == true)
            let metadataOnly = try await Self.get(
                server, "/api/v1/namespaces", accept: "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
            )
            #expect(metadataOnly.status == 406)
            #expect(metadataOnly.json["reason"] == "NotAcceptable")
            let otherGroup = try await Self.get(
                server, "/api/v1/namespaces", accept: "application/json;as=Table;v=v2;g=meta.k8s.io")
            #expect(otherGroup.status == 406)
            let fallback = try await Self.get(
                server, "/api/v1/namespaces", accept: "application/json;as=Table;v=v2;g=meta.k8s.io,application/json")
            #expect(fallback.status == 200)
            #expect(fallback.json["kind"] == "NamespaceList")
        }
    }

    @Test func watchSendsOneRowTablesWithColumnsOnlyFirst() async throws {
        try await SimFixture.withServer(SimFixture.configuration(seed: false)) { server in
            try server.api.create(ResourceCatalog.namespaces, namespace: nil, object: ["metadata": ["name": "default"]])
            let list = try await Self.get(server, "/api/v1/namespaces/default/configmaps")
            let version = try #require(list.json[path: ["metadata", "resourceVersion"]]?.stringValue)
            var request = HTTPClientRequest(
                url: server.url! + "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=\(version)")
            request.headers.add(name: "Authorization", value: "Bearer \(server.token)")
            request.headers.add(name: "Accept", value: Self.kubectlAccept)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok)
            for name in ["first", "second"] {
                try server.api.create(
                    ResourceCatalog.configMaps, namespace: "default",
                    object: ["metadata": ["name": .string(name)], "data": ["k": "v"]])
            }
            var events: [JSONValue] = []
            var pending: [UInt8] = []
            for try await chunk in response.body {
                pending += chunk.readableBytesView
                while let newline = pending.firstIndex(of: 0x0A) {
                    events.append(try JSONValue(parsing: Array(pending[..<newline])))
                    pending.removeFirst(newline + 1)
                }
                if events.count >= 2 { break }
            }
            #expect(events.count == 2)
            #expect(events.map { $0["type"] } == ["ADDED", "ADDED"])
            #expect(events.map { $0[path: ["object", "kind"]] } == ["Table", "Table"])
            #expect(
                events.first?[path: ["object", "columnDefinitions"]]?.arrayValue?.compactMap { $0["name"]?.stringValue }
                    == ["Name", "Data", "Age"])
            #expect(events.last?[path: ["object", "columnDefinitions"]] == .null)
            #expect(
                events.last?[path: ["object", "rows"]]?.arrayValue?.first?["cells"]?.arrayValue?.prefix(2) == [
                    "second", 1,
                ])
            #expect(events.last?[path: ["object", "metadata", "resourceVersion"]] != nil)
        }
    }
}

/// The cells of the printers for states the demo does not reach on its own.
@Suite struct TableCellTests {
    static func cells(_ server: KubeSimServer, _ path: String) async throws -> [String: [JSONValue]] {
        let table = try await TablePrintingTests.get(server, path).json
        var byName: [String: [JSONValue]] = [:]
        for row in table["rows"]?.arrayValue ?? [] {
            if let name = row[path: ["object", "metadata", "name"]]?.stringValue {
                byName[name] = row["cells"]?.arrayValue ?? []
            }
        }
        return byName
    }

    @Test func podStatusesAndRestarts() async throws {
        var configuration = SimFixture.configuration(seed: false)
        configuration.podStartDelay = .seconds(3600)
        try await SimFixture.withServer(configuration) { server in
            try server.api.create(ResourceCatalog.namespaces, namespace: nil, object: ["metadata": ["name": "default"]])
            let tenMinutesAgo = KubeTime.format(Date().addingTimeInterval(-630))
            let container: JSONValue = ["name": "app", "image": "busybox"]
            func pod(_ name: String, spec: JSONValue = [:], status: JSONValue, deleting: Bool = false) throws {
                var spec = spec
                spec["containers"] = [container]
                spec["nodeName"] = "kubesim-worker"
                var metadata: JSONValue = ["name": .string(name)]
                if deleting { metadata["deletionTimestamp"] = .string(tenMinutesAgo) }
                try server.store.create(
                    ResourceCatalog.pods, namespace: "default",
                    object: ["metadata": metadata, "spec": spec, "status": status])
            }
            try pod(
                "crashing",
                status: [
                    "phase": "Running",
                    "containerStatuses": [
                        [
                            "name": "app", "ready": false, "restartCount": 3,
                            "state": ["waiting": ["reason": "CrashLoopBackOff"]],
                            "lastState": [
                                "terminated": ["exitCode": 1, "reason": "Error", "finishedAt": .string(tenMinutesAgo)]
                            ],
                        ]
                    ],
                ])
            try pod(
                "initializing", spec: ["initContainers": [["name": "setup", "image": "busybox"]]],
                status: [
                    "phase": "Pending",
                    "initContainerStatuses": [
                        ["name": "setup", "ready": false, "restartCount": 0, "state": ["running": [:]]]
                    ],
                    "containerStatuses": [
                        [
                            "name": "app", "ready": false, "restartCount": 0,
                            "state": ["waiting": ["reason": "PodInitializing"]],
                        ]
                    ],
                ])
            try pod(
                "leaving",
                status: [
                    "phase": "Running",
                    "containerStatuses": [
                        ["name": "app", "ready": true, "restartCount": 0, "state": ["running": [:]]]
                    ],
                ],
                deleting: true)
            try pod(
                "finished",
                status: [
                    "phase": "Succeeded",
                    "containerStatuses": [
                        [
                            "name": "app", "ready": false, "restartCount": 0,
                            "state": ["terminated": ["exitCode": 0, "reason": "Completed"]],
                        ]
                    ],
                ])
            try pod(
                "killed",
                status: [
                    "phase": "Failed",
                    "containerStatuses": [
                        [
                            "name": "app", "ready": false, "restartCount": 0,
                            "state": ["terminated": ["exitCode": 137, "signal": 9]],
                        ]
                    ],
                ])
            let cells = try await Self.cells(server, "/api/v1/namespaces/default/pods")
            #expect(cells["crashing"]?.prefix(4) == ["crashing", "0/1", "CrashLoopBackOff", "3 (10m ago)"])
            #expect(cells["initializing"]?.prefix(3) == ["initializing", "0/1", "Init:0/1"])
            #expect(cells["leaving"]?.prefix(3) == ["leaving", "1/1", "Terminating"])
            #expect(cells["finished"]?.prefix(3) == ["finished", "0/1", "Completed"])
            #expect(cells["killed"]?.prefix(3) == ["killed", "0/1", "Signal:9"])
            let table = try await TablePrintingTests.get(server, "/api/v1/namespaces/default/pods/finished").json
            #expect(table[path: ["rows"]]?.arrayValue?.first?["conditions"]?.arrayValue?.first?["type"] == "Completed")
        }
    }

    @Test func workloadAndClusterCells() async throws {
        try await SimFixture.withServer(SimFixture.configuration(seed: false)) { server in
            try server.api.create(ResourceCatalog.namespaces, namespace: nil, object: ["metadata": ["name": "default"]])
            let store = server.store
            let started = KubeTime.format(Date().addingTimeInterval(-3 * 3600 - 20 * 60))
            let done = KubeTime.format(Date().addingTimeInterval(-3 * 3600 - 10 * 60))
            try store.create(
                ResourceCatalog.jobs, namespace: "default",
                object: [
                    // Marked as being deleted so that the job controller leaves its status alone.
                    "metadata": ["name": "migrate", "deletionTimestamp": .string(done)],
                    "spec": [
                        "completions": 1, "template": ["spec": ["containers": [["name": "m", "image": "busybox"]]]],
                    ],
                    "status": [
                        "succeeded": 1, "startTime": .string(started), "completionTime": .string(done),
                        "conditions": [["type": "Complete", "status": "True"]],
                    ],
                ])
            let jobs = try await Self.cells(server, "/apis/batch/v1/namespaces/default/jobs")
            #expect(jobs["migrate"]?.prefix(4) == ["migrate", "Complete", "1/1", "10m"])
            try store.create(
                ResourceCatalog.services, namespace: "default",
                object: [
                    "metadata": ["name": "edge"],
                    "spec": [
                        "type": "LoadBalancer", "clusterIPs": ["10.96.7.7"],
                        "ports": [["port": 443, "nodePort": 30443, "protocol": "TCP"]],
                    ],
                    "status": ["loadBalancer": ["ingress": [["ip": "203.0.113.9"]]]],
                ])
            let services = try await Self.cells(server, "/api/v1/namespaces/default/services")
            #expect(
                services["edge"]?.prefix(5) == ["edge", "LoadBalancer", "10.96.7.7", "203.0.113.9", "443:30443/TCP"])
            try store.create(
                ResourceCatalog.nodes, namespace: nil,
                object: [
                    "metadata": ["name": "cordoned", "labels": ["kubernetes.io/role": "edge"]],
                    "spec": ["unschedulable": true],
                    "status": [
                        "conditions": [["type": "Ready", "status": "False"]], "nodeInfo": ["kubeletVersion": "v1.31.0"],
                    ],
                ])
            let nodes = try await Self.cells(server, "/api/v1/nodes")
            #expect(nodes["cordoned"]?.prefix(3) == ["cordoned", "NotReady,SchedulingDisabled", "edge"])
            #expect(nodes["cordoned"]?.suffix(5) == ["<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"])
            try store.create(
                ResourceCatalog.podDisruptionBudgets, namespace: "default",
                object: ["metadata": ["name": "budget"], "spec": ["minAvailable": "50%", "selector": ["matchLabels": ["app": "x"]]]])
            let budgets = try await Self.cells(server, "/apis/policy/v1/namespaces/default/poddisruptionbudgets")
            #expect(budgets["budget"]?.prefix(3) == ["budget", "50%", "N/A"])
            #expect(budgets["budget"]?.dropFirst(3).first?.intValue != nil)
            let roles = try await TablePrintingTests.get(server, "/apis/rbac.authorization.k8s.io/v1/clusterroles").json
            #expect(roles["columnDefinitions"]?.arrayValue?.map { $0["name"] } == ["Name", "Created At"])
            #expect(roles["columnDefinitions"]?.arrayValue?.last?["type"] == "date")
        }
    }
}
