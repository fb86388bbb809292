import Foundation
import GaleJSON
import GaleProtocol
import NIOHTTP1
import Testing

@testable import GaleGateway

/// The topology graph: the pure builder and diff on hand-made objects, then `GET /topology` and
/// the live `topology` stream through the gateway against KubeSim's demo namespace.
@Suite(.timeLimit(.minutes(2)))
struct TopologyTests {
    private static func object(
        _ name: String, namespace: String? = "shop", uid: String? = nil, _ extra: JSONValue = [:]
    )
        -> JSONValue
    {
        var metadata: [String: JSONValue] = ["name": .string(name), "uid": .string(uid ?? "uid-\(name)")]
        if let namespace { metadata["namespace"] = .string(namespace) }
        var object = extra.objectValue ?? [:]
        for (key, value) in object["metadata"]?.objectValue ?? [:] { metadata[key] = value }
        object["metadata"] = .object(metadata)
        return .object(object)
    }

    private static func owner(_ kind: String, _ name: String) -> JSONValue {
        ["ownerReferences": [["kind": .string(kind), "name": .string(name), "controller": true]]]
    }

    /// A small shop: a Deployment with one pod using a claim, a ConfigMap and a Secret; a Service
    /// and Ingress in front; a CronJob's Job with its pod; things in another namespace.
    private static var shop: [String: [JSONValue]] {
        [
            "Deployment": [object("web", ["spec": ["replicas": 2], "status": ["readyReplicas": 1]])],
            "ReplicaSet": [object("web-7f", ["metadata": owner("Deployment", "web")])],
            "Pod": [
                object(
                    "web-7f-a",
                    [
                        "metadata": [
                            "labels": ["app": "web"], "ownerReferences": [["kind": "ReplicaSet", "name": "web-7f"]],
                        ],
                        "spec": [
                            "nodeName": "node-1",
                            "volumes": [
                                ["name": "data", "persistentVolumeClaim": ["claimName": "data"]],
                                ["name": "conf", "configMap": ["name": "web-config"]],
                                ["name": "p", "projected": ["sources": [["secret": ["name": "tls"]]]]],
                            ],
                            "containers": [
                                [
                                    "name": "web",
                                    "env": [
                                        [
                                            "name": "PASSWORD",
                                            "valueFrom": ["secretKeyRef": ["name": "db", "key": "pw"]],
                                        ]
                                    ],
                                    "envFrom": [["configMapRef": ["name": "flags"]]],
                                ]
                            ],
                        ],
                        "status": ["phase": "Running"],
                    ]),
                object(
                    "report-1-x",
                    [
                        "metadata": [
                            "labels": ["app": "report"], "ownerReferences": [["kind": "Job", "name": "report-1"]],
                        ],
                        "status": ["phase": "Succeeded"],
                    ]),
            ],
            "CronJob": [object("report")],
            "Job": [object("report-1", ["metadata": owner("CronJob", "report")])],
            "Service": [object("web", ["spec": ["selector": ["app": "web"]]])],
            "Endpoints": [object("web")],
            "Ingress": [
                object(
                    "web",
                    [
                        "spec": ["rules": [["http": ["paths": [["backend": ["service": ["name": "web"]]]]]]]]
                    ])
            ],
            "PersistentVolumeClaim": [object("data", ["spec": ["volumeName": "pv-1"], "status": ["phase": "Bound"]])],
            "PersistentVolume": [object("pv-1", namespace: nil), object("pv-unused", namespace: nil)],
            "ConfigMap": [object("web-config"), object("flags"), object("other", namespace: "elsewhere")],
            "Secret": [object("tls"), object("db")],
            "Node": [
                object("node-1", namespace: nil, ["status": ["conditions": [["type": "Ready", "status": "True"]]]]),
                object("node-2", namespace: nil),
            ],
        ]
    }

    private static func edge(_ from: String, _ to: String, _ type: String) -> TopologyGraph.Edge {
        TopologyGraph.Edge(from: from, to: to, type: type)
    }

    @Test("owner references, selectors, volumes, env and scheduling become edges; unrelated cluster objects stay out")
    func builder() {
        let graph = TopologyBuilder.graph(Self.shop)
        let pod = "Pod/shop/web-7f-a"
        let expected: Set<TopologyGraph.Edge> = [
            Self.edge("Deployment/shop/web", "ReplicaSet/shop/web-7f", "owns"),
            Self.edge("ReplicaSet/shop/web-7f", pod, "owns"),
            Self.edge("CronJob/shop/report", "Job/shop/report-1", "owns"),
            Self.edge("Job/shop/report-1", "Pod/shop/report-1-x", "owns"),
            Self.edge("Service/shop/web", pod, "selects"),
            Self.edge("Service/shop/web", "Endpoints/shop/web", "endpoints"),
            Self.edge("Ingress/shop/web", "Service/shop/web", "routes"),
            Self.edge(pod, "PersistentVolumeClaim/shop/data", "mounts"),
            Self.edge("PersistentVolumeClaim/shop/data", "PersistentVolume//pv-1", "bound"),
            Self.edge(pod, "ConfigMap/shop/web-config", "uses"),
            Self.edge(pod, "ConfigMap/shop/flags", "uses"),
            Self.edge(pod, "Secret/shop/tls", "uses"),
            Self.edge(pod, "Secret/shop/db", "uses"),
            Self.edge(pod, "Node//node-1", "scheduled"),
        ]
        #expect(graph.edges == expected)
        #expect(graph.nodes["Node//node-2"] == nil)
        #expect(graph.nodes["PersistentVolume//pv-unused"] == nil)
        #expect(graph.nodes["Deployment/shop/web"]?.status == "1/2")
        #expect(graph.nodes["Node//node-1"]?.status == "Ready")
        #expect(graph.nodes[pod]?.uid == "uid-web-7f-a")
        #expect(graph.nodes["ConfigMap/elsewhere/other"] != nil)
    }

    @Test("the graph around one workload holds what it leads to and what routes to it")
    func focus() {
        let focused = TopologyBuilder.graph(Self.shop).focused(on: "Deployment/shop/web")
        #expect(
            Set(focused.nodes.keys) == [
                "Deployment/shop/web", "ReplicaSet/shop/web-7f", "Pod/shop/web-7f-a", "PersistentVolumeClaim/shop/data",
                "PersistentVolume//pv-1", "ConfigMap/shop/web-config", "ConfigMap/shop/flags", "Secret/shop/tls",
                "Secret/shop/db", "Node//node-1", "Service/shop/web", "Endpoints/shop/web", "Ingress/shop/web",
            ])
        #expect(TopologyBuilder.graph(Self.shop).focused(on: "Deployment/shop/missing").nodes.isEmpty)
    }

    @Test("the diff of two graphs names the nodes and edges added, updated and removed")
    func diff() {
        let before = TopologyBuilder.graph(Self.shop)
        var objects = Self.shop
        objects["Pod"]!.append(
            Self.object(
                "web-7f-b",
                [
                    "metadata": [
                        "labels": ["app": "web"], "ownerReferences": [["kind": "ReplicaSet", "name": "web-7f"]],
                    ],
                    "spec": ["nodeName": "node-2"], "status": ["phase": "Pending"],
                ]))
        objects["Job"] = []
        objects["Deployment"] = [Self.object("web", ["spec": ["replicas": 2], "status": ["readyReplicas": 2]])]
        let after = TopologyBuilder.graph(objects)
        let changes = TopologyChanges(from: before, to: after)
        #expect(changes.addedNodes.map(\.id) == ["Node//node-2", "Pod/shop/web-7f-b"])
        #expect(changes.updatedNodes.map(\.id) == ["Deployment/shop/web"])
        #expect(changes.removedNodes == ["Job/shop/report-1"])
        #expect(
            Set(changes.addedEdges) == [
                Self.edge("ReplicaSet/shop/web-7f", "Pod/shop/web-7f-b", "owns"),
                Self.edge("Service/shop/web", "Pod/shop/web-7f-b", "selects"),
                Self.edge("Pod/shop/web-7f-b", "Node//node-2", "scheduled"),
            ])
        #expect(
            Set(changes.removedEdges) == [
                Self.edge("CronJob/shop/report", "Job/shop/report-1", "owns"),
                Self.edge("Job/shop/report-1", "Pod/shop/report-1-x", "owns"),
            ])
        #expect(TopologyChanges(from: after, to: after).isEmpty)
    }

    /// `from type to` for every edge of a served graph.
    private static func edges(_ graph: JSONValue?) -> Set<String> {
        Set(
            (graph?["edges"]?.arrayValue ?? []).map { edge in
                "\(edge["from"]?.stringValue ?? "") \(edge["type"]?.stringValue ?? "") \(edge["to"]?.stringValue ?? "")"
            })
    }

    @Test("GET /topology draws KubeSim's demo namespace, and one workload of it")
    func demoNamespace() async throws {
        try await SimCluster.with { cluster in
            var data: JSONValue?
            // The demo's controllers create the pods shortly after the cluster starts.
            try await cluster.eventually {
                let (status, envelope) = try await cluster.get("/topology", ["namespace": "demo"])
                guard status == 200, envelope["code"]?.intValue == 0 else { throw TestFailure("\(envelope)") }
                data = envelope["data"]
                let edges = Self.edges(data)
                return edges.contains { $0.hasPrefix("StatefulSet/demo/redis owns Pod/demo/redis-1") }
                    && edges.filter { $0.hasPrefix("Service/demo/nginx selects Pod/demo/nginx-") }.count == 3
            }
            let edges = Self.edges(data)
            let nodes = (data?["nodes"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
            #expect(edges.contains("Service/demo/nginx endpoints Endpoints/demo/nginx"))
            #expect(edges.contains("Ingress/demo/nginx routes Service/demo/nginx"))
            #expect(edges.contains("Ingress/demo/nginx routes Service/demo/api"))
            let replicaSet = try #require(
                edges.first { $0.hasPrefix("Deployment/demo/nginx owns ReplicaSet/demo/nginx-") }?.split(separator: " ")
                    .last)
            let nginxPods = edges.filter { $0.hasPrefix("\(replicaSet) owns Pod/demo/nginx-") }
            #expect(nginxPods.count == 3)
            #expect(edges.contains { $0.hasPrefix("DaemonSet/demo/log-agent owns Pod/demo/log-agent-") })
            #expect(edges.contains { $0.hasPrefix("Pod/demo/nginx-") && $0.contains(" scheduled Node//kubesim-") })
            #expect(nodes.allSatisfy { !$0.contains("/kube-system/") && !$0.contains("/staging/") })
            let pod = try #require((data?["nodes"]?.arrayValue ?? []).first { $0["kind"] == "Pod" })
            #expect(pod["uid"]?.stringValue?.isEmpty == false)
            #expect(pod["namespace"] == "demo")

            let (_, focused) = try await cluster.get(
                "/topology", ["namespace": "demo", "kind": "deployment", "name": "nginx"])
            let focusedEdges = Self.edges(focused["data"])
            #expect(focusedEdges.contains("Ingress/demo/nginx routes Service/demo/nginx"))
            #expect(!focusedEdges.contains { $0.contains("redis") || $0.contains("Deployment/demo/api") })

            // The demo's RBAC lets viewers read everything but Secrets: their graph has none.
            #expect(nodes.contains { $0.hasPrefix("Secret/demo/") })
            let viewer = try await cluster.gateway.token(.viewer)
            let (_, viewed) = try await cluster.get("/topology", ["namespace": "demo"], token: viewer)
            let viewedNodes = (viewed["data"]?["nodes"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
            #expect(viewed["code"] == 0)
            #expect(viewedNodes.contains { $0.hasPrefix("Pod/demo/") })
            #expect(!viewedNodes.contains { $0.hasPrefix("Secret/") })

            let (missing, envelope) = try await cluster.get(
                "/topology", ["namespace": "demo", "kind": "Deployment", "name": "nope"])
            #expect(missing == 404 && envelope["code"] == 1004)
            let (_, noNamespace) = try await cluster.get("/topology", ["namespace": "nowhere"])
            #expect(noNamespace["code"] == 1003)
        }
    }

    @Test("a live topology subscriber sees a new pod's node and edges appear on scale-up and go on scale-down")
    func liveScaling() async throws {
        try await SimCluster.with { cluster in
            // Wait for the demo's three nginx pods, so the scale-up is the only change of its kind.
            try await cluster.eventually {
                let (_, envelope) = try await cluster.get("/pods", ["namespace": "demo", "keyword": "nginx-"])
                return (envelope["data"]?["items"]?.arrayValue ?? []).filter {
                    $0["status"]?["phase"] == "Running"
                }.count == 3
            }
            try await cluster.gateway.socket(SocketOptions(token: cluster.admin)) { socket in
                let channel = try await socket.subscribe([
                    "stream": "topology", "cluster": .int(cluster.id), "namespace": "demo",
                ])
                var nodes: Set<String> = []
                var edges: Set<String> = []
                var synced = false
                func apply(_ frame: ServerFrame) {
                    switch frame {
                    case .event(let event) where event.channel == channel:
                        let fields = event.fields
                        if event.event == "SNAPSHOT" {
                            nodes = Set((fields["nodes"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
                            edges = Self.edges(.object(fields))
                        } else {
                            nodes.formUnion(
                                (fields["nodesAdded"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
                            nodes.subtract((fields["nodesRemoved"]?.arrayValue ?? []).compactMap(\.stringValue))
                            edges.formUnion(Self.edges(["edges": fields["edgesAdded"] ?? []]))
                            edges.subtract(Self.edges(["edges": fields["edgesRemoved"] ?? []]))
                        }
                    case .synced(channel, _, _):
                        synced = true
                    default:
                        break
                    }
                }
                while !synced { apply(try await socket.receive()) }
                let before = nodes.filter { $0.hasPrefix("Pod/demo/nginx-") }
                #expect(before.count == 3)

                let (_, scaled) = try await cluster.send(
                    .POST, "/deployments/nginx/scale", ["namespace": "demo", "replicas": 4])
                #expect(scaled["code"] == 0)
                var added: String?
                while added == nil {
                    apply(try await socket.receive())
                    added = nodes.filter { $0.hasPrefix("Pod/demo/nginx-") }.subtracting(before).first.flatMap { pod in
                        edges.contains { $0.hasPrefix("ReplicaSet/demo/nginx-") && $0.hasSuffix("owns \(pod)") }
                            && edges.contains("Service/demo/nginx selects \(pod)") ? pod : nil
                    }
                }
                let pod = try #require(added)

                let (_, down) = try await cluster.send(
                    .POST, "/deployments/nginx/scale", ["namespace": "demo", "replicas": 3])
                #expect(down["code"] == 0)
                while nodes.filter({ $0.hasPrefix("Pod/demo/nginx-") }).count > 3 {
                    apply(try await socket.receive())
                }
                // The newest pod goes first on scale-down; either way three remain, with their edges.
                let remaining = nodes.filter { $0.hasPrefix("Pod/demo/nginx-") }
                #expect(remaining.count == 3)
                let gone = before.union([pod]).subtracting(remaining)
                #expect(gone.count == 1)
                #expect(!edges.contains { edge in gone.contains { edge.contains($0) } })
                // A deletion leaves nothing in its place (it once came back as a nameless `Pod//`).
                #expect(!nodes.contains { $0.hasSuffix("/") }, "\(nodes.sorted())")
            }
        }
    }
}
