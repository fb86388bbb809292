import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import KubeSim

/// The protobuf request bodies of kubectl's generators and client-go typed clients: envelope, per-kind schemas,
/// and hostile bodies that must end in a clear 400/413/415 Status.
@Suite struct ProtobufTests {
    typealias P = ProtobufBytes

    /// `kubectl create deployment web --image=nginx:1.25 --replicas=2 --port=80`, as kubectl v1.32 sent it.
    static let kubectlDeployment = P.hex(
        """
        6b3873000a150a07617070732f7631120a4465706c6f796d656e7412bd010a1f0a0377656212001a0022002a0032003800420
        05a0a0a036170701203776562128b010802120c0a0a0a0361707012037765621a710a1c0a0012001a0022002a003200380042
        005a0a0a036170701203776562125112330a056e67696e78120a6e67696e783a312e32352a00320a0a001000185022002a004
        2006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a0028
        0038001a0c0800100018002000280038001a002200
        """)

    /// `kubectl create rolebinding rb1 --role=r1 --user=alice --group=devs --serviceaccount=default:sa1`.
    static let kubectlRoleBinding = P.hex(
        """
        6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c6542696e64696e6712
        b6010a130a0372623112001a0022002a00320038004200122a0a04557365721219726261632e617574686f72697a6174696f6e
        2e6b38732e696f1a05616c6963652200122a0a0547726f75701219726261632e617574686f72697a6174696f6e2e6b38732e69
        6f1a0464657673220012200a0e536572766963654163636f756e7412001a03736131220764656661756c741a250a1972626163
        2e617574686f72697a6174696f6e2e6b38732e696f1204526f6c651a0272311a002200
        """)

    static func decode(_ bytes: [UInt8], configuration: ProtobufJSONDecoder.Configuration = .init())
        throws(ProtobufError) -> JSONValue
    {
        try KubeProtobuf.decode(bytes[...], configuration: configuration)
    }

    static func failure(_ bytes: [UInt8], configuration: ProtobufJSONDecoder.Configuration = .init()) -> ProtobufError?
    {
        do {
            _ = try decode(bytes, configuration: configuration)
            return nil
        } catch {
            return error
        }
    }

    @Test func kubectlDeploymentBecomesTheJSONKubectlWouldSend() throws {
        let json = try Self.decode(Self.kubectlDeployment)
        let expected = try JSONValue(parsing: 
            """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"strategy":{},
              "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[
               {"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":80}],"resources":{}}]}}}}
            """)
        #expect(json == expected)
    }

    @Test func kubectlRoleBindingKeepsSubjectsAndRoleRef() throws {
        let json = try Self.decode(Self.kubectlRoleBinding)
        #expect(json["kind"] == "RoleBinding")
        #expect(json["roleRef"] == ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r1"])
        #expect(
            json["subjects"] == [
                ["kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"],
                ["kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"],
                ["kind": "ServiceAccount", "name": "sa1", "namespace": "default"],
            ])
    }

    @Test func scalarsMapsAndSpecialTypes() throws {
        // A Secret with bytes data, a CronJob with a negative pointer int, a Service with string and int targetPorts,
        // metadata with a creation time and an owner reference whose controller flag is an explicit false.
        let metadata = P.field(
            1,
            P.field(1, "s") + P.field(8, P.field(1, varint: 1_767_323_045))
                + P.field(13, P.field(1, "Job") + P.field(3, "j") + P.field(5, "batch/v1") + P.field(6, varint: 0))
                + P.field(9, []))
        let secret = try Self.decode(
            P.body(
                apiVersion: "v1", kind: "Secret",
                metadata + P.entry(2, "k", "\u{0}\u{1}binary") + P.field(3, "Opaque") + P.entry(4, "plain", "")))
        #expect(secret[path: ["data", "k"]] == .string(Data([0, 1] + Array("binary".utf8)).base64EncodedString()))
        #expect(secret[path: ["stringData", "plain"]] == "")
        #expect(secret[path: ["metadata", "creationTimestamp"]] == "2026-01-02T03:04:05Z")
        #expect(secret[path: ["metadata", "deletionTimestamp"]] == nil)
        #expect(
            secret[path: ["metadata", "ownerReferences"]] == [
                ["kind": "Job", "name": "j", "apiVersion": "batch/v1", "controller": false]
            ])

        let cron = try Self.decode(
            P.body(
                apiVersion: "batch/v1", kind: "CronJob",
                P.field(
                    2, P.field(1, "*/5 * * * *") + P.field(2, varint: UInt64(bitPattern: -30)) + P.field(4, varint: 0)))
        )
        #expect(cron["spec"] == ["schedule": "*/5 * * * *", "startingDeadlineSeconds": -30, "suspend": false])

        let ports =
            P.field(1, P.field(3, varint: 80) + P.field(4, P.field(1, varint: 1) + P.field(3, "http")))
            + P.field(1, P.field(3, varint: 443) + P.field(4, P.field(1, varint: 0) + P.field(2, varint: 8443)))
        let service = try Self.decode(P.body(apiVersion: "v1", kind: "Service", P.field(2, ports)))
        #expect(
            service[path: ["spec", "ports"]] == [
                ["port": 80, "targetPort": "http"], ["port": 443, "targetPort": 8443],
            ])

        let limits = P.field(1, P.field(1, "cpu") + P.field(2, P.field(1, "500m")))
        let container = P.field(2, P.field(1, "c") + P.field(8, limits) + P.field(7, P.field(1, "A") + P.field(2, "B")))
        let pod = try Self.decode(P.body(apiVersion: "v1", kind: "Pod", P.field(2, container)))
        #expect(
            pod[path: ["spec", "containers"]] == [
                ["name": "c", "resources": ["limits": ["cpu": "500m"]], "env": [["name": "A", "value": "B"]]]
            ])
    }

    @Test func everyKindDecodesWithItsMetadata() throws {
        for (kind, schema) in KubeProtobuf.schemas {
            let apiVersion = schema.apiVersions?.first ?? "apps/v1"
            let name = kind == "DeleteOptions" ? P.field(4, "Foreground") : P.field(1, P.field(1, "x"))
            let json = try Self.decode(P.body(apiVersion: apiVersion, kind: kind, name))
            #expect(json["kind"] == .string(kind) && json["apiVersion"] == .string(apiVersion))
            #expect(json[path: ["metadata", "name"]] == "x" || json["propagationPolicy"] == "Foreground", "\(kind)")
        }
    }

    @Test func statefulSetWithClaimTemplatesAndDaemonSet() throws {
        let claim = P.field(
            4,
            P.field(1, P.field(1, "data"))
                + P.field(
                    2,
                    P.field(1, "ReadWriteOnce")
                        + P.field(2, P.field(2, P.field(1, "storage") + P.field(2, P.field(1, "1Gi"))))
                        + P.field(5, "")))
        let spec =
            P.field(1, varint: 0) + P.field(5, "redis") + claim
            + P.field(7, P.field(1, "RollingUpdate") + P.field(2, P.field(1, varint: 2)))
        let statefulSet = try Self.decode(P.body(apiVersion: "apps/v1", kind: "StatefulSet", P.field(2, spec)))
        #expect(
            statefulSet["spec"] == [
                "replicas": 0, "serviceName": "redis",
                "updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["partition": 2]],
                "volumeClaimTemplates": [
                    [
                        "metadata": ["name": "data"],
                        "spec": [
                            "accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]],
                            "storageClassName": "",
                        ],
                    ]
                ],
            ])
        let daemonSet = try Self.decode(
            P.body(
                apiVersion: "apps/v1", kind: "DaemonSet",
                P.field(2, P.field(1, P.entry(1, "app", "agent")) + P.field(6, varint: 3))))
        #expect(daemonSet["spec"] == ["selector": ["matchLabels": ["app": "agent"]], "revisionHistoryLimit": 3])
    }

    @Test func subjectAccessReviewWithGroupsAndExtra() throws {
        let extra = P.field(5, P.field(1, "scopes") + P.field(2, P.field(1, "a") + P.field(1, "b")))
        let spec =
            P.field(2, P.field(1, "/healthz") + P.field(2, "get")) + P.field(3, "bob") + P.field(4, "devs")
            + P.field(4, "") + extra + P.field(6, "uid-1")
        let review = try Self.decode(
            P.body(apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", P.field(2, spec)))
        #expect(
            review["spec"] == [
                "nonResourceAttributes": ["path": "/healthz", "verb": "get"], "user": "bob", "groups": ["devs", ""],
                "extra": ["scopes": ["a", "b"]], "uid": "uid-1",
            ])
    }

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        let unknown =
            P.field(99, varint: 7) + P.key(98, wireType: 1) + [UInt8](repeating: 1, count: 8) + P.key(97, wireType: 5)
            + [1, 2, 3, 4] + P.field(96, P.field(1, "nested"))
        // An unknown field nested 10,000 levels deep is skipped without being read into.
        var deep = P.field(1, "x")
        for _ in 0..<10_000 { deep = P.field(50, deep) }
        let json = try Self.decode(
            P.body(
                apiVersion: "v1", kind: "ConfigMap",
                unknown + P.field(1, P.field(1, "cm") + unknown) + deep + P.entry(2, "a", "b")))
        #expect(json == ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cm"], "data": ["a": "b"]])
    }

    @Test func envelopeWithoutKindUsesTheAddressedResource() throws {
        let body = P.magic + P.field(2, P.field(2, P.field(1, "demo")))
        let json = try KubeProtobuf.decode(body[...], fallback: ("authorization.k8s.io/v1", "SelfSubjectRulesReview"))
        #expect(
            json == [
                "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview",
                "spec": ["namespace": "demo"],
            ])
        #expect(Self.failure(body) == .unknownKind(apiVersion: "", kind: ""))
    }

    @Test func contentTypeMatchingIgnoresParametersAndCase() {
        #expect(KubeProtobuf.isProtobuf(contentType: "application/vnd.kubernetes.protobuf"))
        #expect(KubeProtobuf.isProtobuf(contentType: "Application/VND.Kubernetes.Protobuf; charset=binary"))
        #expect(!KubeProtobuf.isProtobuf(contentType: "application/json"))
        #expect(!KubeProtobuf.isProtobuf(contentType: "application/vnd.kubernetes.protobufx"))
    }

    // MARK: Hostile bodies

    @Test func brokenWireFormatIsABadRequest() {
        let configMap = { (raw: [UInt8]) in P.body(apiVersion: "v1", kind: "ConfigMap", raw) }
        let cases: [(String, [UInt8], ProtobufError)] = [
            ("no magic", Array("{\"kind\":\"ConfigMap\"}".utf8), .missingMagic),
            ("empty", [], .missingMagic),
            ("length past the end", P.magic + P.key(2, wireType: 2) + P.varint(UInt64.max >> 1), .truncated),
            ("length of 2^63-1 inside raw", configMap(P.key(1, wireType: 2) + P.varint(UInt64(Int64.max))), .truncated),
            (
                "varint of eleven bytes",
                configMap(P.key(1, wireType: 0) + [UInt8](repeating: 0xFF, count: 10) + [0x01]), .malformedVarint
            ),
            (
                "varint overflowing 64 bits",
                configMap(P.key(99, wireType: 0) + [UInt8](repeating: 0xFF, count: 9) + [0x02]), .malformedVarint
            ),
            ("varint cut off", configMap(P.key(99, wireType: 0) + [0x80, 0x80]), .malformedVarint),
            ("fixed64 cut off", configMap(P.key(99, wireType: 1) + [1, 2, 3]), .truncated),
            ("fixed32 cut off", configMap(P.key(99, wireType: 5) + [1]), .truncated),
            ("group wire type", configMap(P.key(99, wireType: 3)), .unsupportedWireType(3)),
            ("wire type 7", configMap(P.key(99, wireType: 7)), .unsupportedWireType(7)),
            ("field number 0", configMap([0x02, 0x00]), .invalidFieldNumber),
            ("field number above 2^29", configMap(P.varint(UInt64(1) << 32 | 2) + [0]), .invalidFieldNumber),
            ("metadata as a varint", configMap(P.field(1, varint: 5)), .wrongWireType(field: "metadata")),
            ("name as a varint", configMap(P.field(1, P.field(1, varint: 5))), .wrongWireType(field: "name")),
            (
                "replicas as bytes", P.body(apiVersion: "apps/v1", kind: "Deployment", P.field(2, P.field(1, "x"))),
                .wrongWireType(field: "replicas")
            ),
            (
                "time in year 10000", configMap(P.field(1, P.field(8, P.field(1, varint: 253_402_300_800)))),
                .timeOutOfRange(field: "creationTimestamp")
            ),
            ("typeMeta as a varint", P.magic + P.field(1, varint: 1), .wrongWireType(field: "runtime.Unknown")),
        ]
        for (name, bytes, expected) in cases {
            let error = Self.failure(bytes)
            #expect(error == expected, "\(name)")
            #expect(error?.status.code == 400, "\(name)")
        }
    }

    @Test func unknownKindsAndEncodingsAreUnsupportedMediaTypes() {
        let cases: [(String, [UInt8])] = [
            ("custom resource", P.body(apiVersion: "example.com/v1", kind: "Widget", [])),
            ("known kind, other version", P.body(apiVersion: "apps/v1beta1", kind: "Deployment", [])),
            ("gzip content encoding", P.body(apiVersion: "v1", kind: "ConfigMap", []) + P.field(3, "gzip")),
        ]
        for (name, bytes) in cases {
            let error = Self.failure(bytes)
            #expect(error?.status.code == 415, "\(name)")
            #expect(error?.status.reason == "UnsupportedMediaType", "\(name)")
        }
    }

    @Test func valueCountIsBounded() throws {
        // 100,001 map entries in 1.2 MB: under the body limit, over the value limit.
        var data: [UInt8] = []
        data.reserveCapacity(1_500_000)
        for index in 0..<100_001 { data += P.entry(2, String(index), "v") }
        let body = P.body(apiVersion: "v1", kind: "ConfigMap", data)
        #expect(body.count < KubeProtobuf.maxBodySize)
        #expect(Self.failure(body) == .tooManyValues(limit: 100_000))
        // Packed varints count one by one too.
        let packed = P.field(2, P.field(4, [UInt8](repeating: 0x01, count: 200)))
        let message = ProtobufMessage([
            2: .message("spec", ProtobufMessage([4: ProtobufField("numbers", .int32, repeated: true)]))
        ])
        var small = ProtobufJSONDecoder(configuration: .init(maxValues: 100))
        var refused: ProtobufError?
        do { _ = try small.decode(packed[...], as: message) } catch { refused = error }
        #expect(refused == .tooManyValues(limit: 100))
        var ample = ProtobufJSONDecoder()
        #expect(try ample.decode(packed[...], as: message)[path: ["spec", "numbers"]]?.arrayValue?.count == 200)
    }

    @Test func nestingIsBounded() {
        // Deployment, spec, template, pod spec, container, container port: six levels.
        #expect(Self.failure(Self.kubectlDeployment, configuration: .init(maxDepth: 5)) == .tooDeep(limit: 5))
        #expect(Self.failure(Self.kubectlDeployment, configuration: .init(maxDepth: 6)) == nil)
    }

    @Test func invalidUTF8IsReplacedNotTrusted() throws {
        let json = try Self.decode(
            P.body(apiVersion: "v1", kind: "ConfigMap", P.field(1, P.field(1, [0x61, 0xFF, 0xFE]))))
        #expect(json[path: ["metadata", "name"]] == "a\u{FFFD}\u{FFFD}")
    }

    // MARK: Over HTTP

    @Test func hostileBodiesGetAStatusAndTheServerKeepsServing() async throws {
        try await SimFixture.withServer { server in
            func post(_ path: String, _ bytes: [UInt8]) async throws -> (Int, JSONValue) {
                var request = HTTPClientRequest(url: server.url! + path)
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(server.token)")
                request.headers.add(name: "Content-Type", value: KubeProtobuf.contentType)
                request.body = .bytes(ByteBuffer(bytes: bytes))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
                let body = try await response.body.collect(upTo: 1 << 20)
                return (Int(response.status.code), (try? JSONValue(parsing: body.readableBytesView)) ?? .null)
            }
            let configMaps = "/api/v1/namespaces/default/configmaps"
            let truncated = try await post(configMaps, P.magic + P.key(2, wireType: 2) + P.varint(1 << 40))
            #expect(truncated.0 == 400)
            #expect(truncated.1["kind"] == "Status" && truncated.1["reason"] == "BadRequest")
            #expect(truncated.1["message"]?.stringValue?.contains("invalid protobuf") == true, "\(truncated.1)")
            let widget = try await post(configMaps, P.body(apiVersion: "example.com/v1", kind: "Widget", []))
            #expect(widget.0 == 415 && widget.1["reason"] == "UnsupportedMediaType", "\(widget.1)")
            let tooLarge = try await post(
                configMaps,
                P.body(apiVersion: "v1", kind: "ConfigMap", [UInt8](repeating: 0, count: KubeProtobuf.maxBodySize)))
            #expect(tooLarge.0 == 413 && tooLarge.1["reason"] == "RequestEntityTooLarge", "\(tooLarge.1)")
            let created = try await post(
                configMaps,
                P.body(apiVersion: "v1", kind: "ConfigMap", P.field(1, P.field(1, "after")) + P.entry(2, "k", "v")))
            #expect(created.0 == 201, "\(created.1)")
            #expect(
                server.store.find(ResourceCatalog.configMaps, namespace: "default", name: "after")?["data"] == [
                    "k": "v"
                ])
        }
    }
}
