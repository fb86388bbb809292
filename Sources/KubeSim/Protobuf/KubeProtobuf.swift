import Foundation
import GaleJSON

/// Kubernetes' protobuf encoding of request bodies (`application/vnd.kubernetes.protobuf`), which kubectl's
/// generators (`kubectl create configmap|deployment|…`) and client-go typed clients send.
///
/// A body is the prefix `k8s\0` followed by a `runtime.Unknown` `{1: typeMeta {1: apiVersion, 2: kind}, 2: raw,
/// 3: contentEncoding, 4: contentType}` whose `raw` is the object. The object is decoded with the schema for its kind
/// into the same JSON KubeSim stores. Answers stay JSON: these clients send `Accept:
/// application/vnd.kubernetes.protobuf,application/json`.
enum KubeProtobuf {
    /// The media type of a protobuf body.
    static let contentType = "application/vnd.kubernetes.protobuf"
    /// The four bytes every body starts with: `k8s\0`.
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]
    /// Largest body read, as a real API server's default request limit (3 MiB).
    static let maxBodySize = 3 * 1024 * 1024

    /// Whether a `Content-Type` header names the protobuf encoding (parameters and case ignored).
    static func isProtobuf(contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == Self.contentType
    }

    /// The object in a protobuf body, as JSON with `apiVersion` and `kind`.
    ///
    /// - Parameter fallback: `apiVersion` and `kind` for an envelope that names no kind (the resource addressed).
    static func decode(
        _ bytes: ArraySlice<UInt8>, fallback: (apiVersion: String, kind: String)? = nil,
        configuration: ProtobufJSONDecoder.Configuration = .init()
    ) throws(ProtobufError) -> JSONValue {
        guard bytes.starts(with: magic) else { throw .missingMagic }
        var decoder = ProtobufJSONDecoder(configuration: configuration)
        var envelope = ProtobufWireReader(bytes.dropFirst(magic.count))
        var typeMeta: JSONValue = .object([:])
        var raw: ArraySlice<UInt8> = []
        while let (number, value) = try envelope.next() {
            switch (number, value) {
            case (1, .bytes(let bytes)): typeMeta = try decoder.decode(bytes, as: typeMetaMessage)
            case (2, .bytes(let bytes)): raw = bytes
            case (3, .bytes(let bytes)) where !bytes.isEmpty:
                throw .unsupportedEncoding(String(decoding: bytes, as: UTF8.self))
            case (1...4, .varint), (1...4, .fixed32), (1...4, .fixed64): throw .wrongWireType(field: "runtime.Unknown")
            default: continue
            }
        }
        var apiVersion = typeMeta["apiVersion"]?.stringValue ?? ""
        var kind = typeMeta["kind"]?.stringValue ?? ""
        if kind.isEmpty, let fallback {
            (apiVersion, kind) = (apiVersion.isEmpty ? fallback.apiVersion : apiVersion, fallback.kind)
        }
        guard let schema = schemas[kind], schema.apiVersions?.contains(apiVersion) ?? true else {
            throw .unknownKind(apiVersion: apiVersion, kind: kind)
        }
        var object = try decoder.decode(raw, as: schema.message)
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = .string(kind)
        return object
    }

    /// A kind's schema and the API versions it is read in (`nil`: any, for options sent to every group).
    struct Schema: Sendable {
        let apiVersions: Set<String>?
        let message: ProtobufMessage

        init(_ apiVersions: Set<String>?, _ message: ProtobufMessage) {
            self.apiVersions = apiVersions
            self.message = message
        }
    }

    /// `runtime.TypeMeta` as `runtime.Unknown` carries it (`apiVersion` first, unlike `metav1.TypeMeta`).
    private static let typeMetaMessage = ProtobufMessage([1: .string("apiVersion"), 2: .string("kind")])

    /// Every kind read as protobuf, by kind.
    static let schemas: [String: Schema] = [
        "ConfigMap": Schema(["v1"], configMap),
        "Secret": Schema(["v1"], secret),
        "Namespace": Schema(["v1"], namespace),
        "Service": Schema(["v1"], service),
        "ServiceAccount": Schema(["v1"], serviceAccount),
        "Pod": Schema(["v1"], pod),
        "ResourceQuota": Schema(["v1"], resourceQuota),
        "PersistentVolumeClaim": Schema(["v1"], persistentVolumeClaim),
        "Deployment": Schema(["apps/v1"], deployment),
        "ReplicaSet": Schema(["apps/v1"], replicaSet),
        "StatefulSet": Schema(["apps/v1"], statefulSet),
        "DaemonSet": Schema(["apps/v1"], daemonSet),
        "Job": Schema(["batch/v1"], job),
        "CronJob": Schema(["batch/v1"], cronJob),
        "Scale": Schema(["autoscaling/v1"], scale),
        "Eviction": Schema(["policy/v1"], eviction),
        "Ingress": Schema(["networking.k8s.io/v1"], ingress),
        "Role": Schema(["rbac.authorization.k8s.io/v1"], role),
        "ClusterRole": Schema(["rbac.authorization.k8s.io/v1"], clusterRole),
        "RoleBinding": Schema(["rbac.authorization.k8s.io/v1"], roleBinding),
        "ClusterRoleBinding": Schema(["rbac.authorization.k8s.io/v1"], roleBinding),
        "SubjectAccessReview": Schema(["authorization.k8s.io/v1"], subjectAccessReview),
        "LocalSubjectAccessReview": Schema(["authorization.k8s.io/v1"], subjectAccessReview),
        "SelfSubjectAccessReview": Schema(["authorization.k8s.io/v1"], selfSubjectAccessReview),
        "SelfSubjectRulesReview": Schema(["authorization.k8s.io/v1"], selfSubjectRulesReview),
        "SelfSubjectReview": Schema(["authentication.k8s.io/v1"], selfSubjectReview),
        "DeleteOptions": Schema(nil, deleteOptions),
    ]
}
