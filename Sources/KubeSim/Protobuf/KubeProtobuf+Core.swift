import GaleJSON

/// `k8s.io/api/core/v1` kinds and the pod template the workload kinds share.
extension KubeProtobuf {
    static let configMap = ProtobufMessage([
        1: .message("metadata", objectMeta), 2: .stringMap("data"), 3: ProtobufField("binaryData", .map(.bytes)),
        4: .bool("immutable", optional: true),
    ])

    static let secret = ProtobufMessage([
        1: .message("metadata", objectMeta), 2: ProtobufField("data", .map(.bytes)), 3: .string("type"),
        4: .stringMap("stringData"), 5: .bool("immutable", optional: true),
    ])

    static let namespace = ProtobufMessage([
        1: .message("metadata", objectMeta), 2: .message("spec", ProtobufMessage([1: .strings("finalizers")])),
    ])

    static let serviceAccount = ProtobufMessage([
        1: .message("metadata", objectMeta),
        2: .messages(
            "secrets",
            ProtobufMessage([
                1: .string("kind"), 2: .string("namespace"), 3: .string("name"), 4: .string("uid"),
                5: .string("apiVersion"), 6: .string("resourceVersion"), 7: .string("fieldPath"),
            ])),
        3: .messages("imagePullSecrets", localObjectReference),
        4: .bool("automountServiceAccountToken", optional: true),
    ])

    static let service = ProtobufMessage([1: .message("metadata", objectMeta), 2: .message("spec", serviceSpec)])

    static let serviceSpec = ProtobufMessage([
        1: .messages(
            "ports",
            ProtobufMessage([
                1: .string("name"), 2: .string("protocol"), 6: .optionalString("appProtocol"), 3: .int32("port"),
                4: .intOrString("targetPort"), 5: .int32("nodePort"),
            ])),
        2: .stringMap("selector"), 3: .string("clusterIP"), 18: .strings("clusterIPs"), 4: .string("type"),
        5: .strings("externalIPs"), 7: .string("sessionAffinity"), 8: .string("loadBalancerIP"),
        9: .strings("loadBalancerSourceRanges"), 10: .string("externalName"), 11: .string("externalTrafficPolicy"),
        12: .int32("healthCheckNodePort"), 13: .bool("publishNotReadyAddresses"), 19: .strings("ipFamilies"),
        17: .optionalString("ipFamilyPolicy"), 20: .bool("allocateLoadBalancerNodePorts", optional: true),
        21: .optionalString("loadBalancerClass"), 22: .optionalString("internalTrafficPolicy"),
        23: .optionalString("trafficDistribution"),
    ])

    static let resourceQuota = ProtobufMessage([
        1: .message("metadata", objectMeta),
        2: .message("spec", ProtobufMessage([1: .quantityMap("hard"), 2: .strings("scopes")])),
    ])

    static let persistentVolumeClaim = ProtobufMessage([
        1: .message("metadata", objectMeta),
        2: .message(
            "spec",
            ProtobufMessage([
                1: .strings("accessModes"), 4: .message("selector", labelSelector),
                2: .message("resources", ProtobufMessage([1: .quantityMap("limits"), 2: .quantityMap("requests")])),
                3: .string("volumeName"), 5: .optionalString("storageClassName"), 6: .optionalString("volumeMode"),
                9: .optionalString("volumeAttributesClassName"),
            ])),
    ])

    static let pod = ProtobufMessage([1: .message("metadata", objectMeta), 2: .message("spec", podSpec)])

    static let podTemplateSpec = ProtobufMessage([1: .message("metadata", objectMeta), 2: .message("spec", podSpec)])

    static let podSpec = ProtobufMessage([
        1: .messages("volumes", volume), 20: .messages("initContainers", container),
        2: .messages("containers", container),
        3: .string("restartPolicy"), 4: .int64("terminationGracePeriodSeconds", optional: true),
        5: .int64("activeDeadlineSeconds", optional: true), 6: .string("dnsPolicy"), 7: .stringMap("nodeSelector"),
        8: .string("serviceAccountName"), 9: .string("serviceAccount"),
        21: .bool("automountServiceAccountToken", optional: true), 10: .string("nodeName"), 11: .bool("hostNetwork"),
        12: .bool("hostPID"), 13: .bool("hostIPC"), 27: .bool("shareProcessNamespace", optional: true),
        15: .messages("imagePullSecrets", localObjectReference), 16: .string("hostname"), 17: .string("subdomain"),
        19: .string("schedulerName"),
        22: .messages(
            "tolerations",
            ProtobufMessage([
                1: .string("key"), 2: .string("operator"), 3: .string("value"), 4: .string("effect"),
                5: .int64("tolerationSeconds", optional: true),
            ])),
        24: .string("priorityClassName"), 25: .int32("priority", optional: true),
        30: .bool("enableServiceLinks", optional: true), 37: .bool("hostUsers", optional: true),
    ])

    static let container = ProtobufMessage([
        1: .string("name"), 2: .string("image"), 3: .strings("command"), 4: .strings("args"), 5: .string("workingDir"),
        6: .messages(
            "ports",
            ProtobufMessage([
                1: .string("name"), 2: .int32("hostPort"), 3: .int32("containerPort"), 4: .string("protocol"),
                5: .string("hostIP"),
            ])),
        19: .messages("envFrom", envFromSource), 7: .messages("env", envVar),
        8: .message("resources", ProtobufMessage([1: .quantityMap("limits"), 2: .quantityMap("requests")])),
        9: .messages(
            "volumeMounts",
            ProtobufMessage([
                1: .string("name"), 2: .bool("readOnly"), 3: .string("mountPath"), 4: .string("subPath"),
                6: .string("subPathExpr"),
            ])),
        13: .string("terminationMessagePath"), 20: .string("terminationMessagePolicy"), 14: .string("imagePullPolicy"),
        16: .bool("stdin"), 17: .bool("stdinOnce"), 18: .bool("tty"),
    ])

    static let envVar = ProtobufMessage([
        1: .string("name"), 2: .string("value"),
        3: .message(
            "valueFrom",
            ProtobufMessage([
                1: .message("fieldRef", ProtobufMessage([1: .string("apiVersion"), 2: .string("fieldPath")])),
                2: .message(
                    "resourceFieldRef",
                    ProtobufMessage([
                        1: .string("containerName"), 2: .string("resource"), 3: ProtobufField("divisor", .quantity),
                    ])),
                3: .message("configMapKeyRef", keySelector), 4: .message("secretKeyRef", keySelector),
            ])),
    ])

    /// `ConfigMapKeySelector` and `SecretKeySelector`.
    static let keySelector = ProtobufMessage([
        1: .inline(localObjectReference), 2: .string("key"), 3: .bool("optional", optional: true),
    ])

    static let envFromSource = ProtobufMessage([
        1: .string("prefix"), 2: .message("configMapRef", envSource), 3: .message("secretRef", envSource),
    ])

    /// `ConfigMapEnvSource` and `SecretEnvSource`.
    static let envSource = ProtobufMessage([1: .inline(localObjectReference), 2: .bool("optional", optional: true)])

    /// A volume: its name and the common sources (`VolumeSource` is inlined).
    static let volume = ProtobufMessage([
        1: .string("name"),
        2: .inline(
            ProtobufMessage([
                1: .message("hostPath", ProtobufMessage([1: .string("path"), 2: .optionalString("type")])),
                2: .message(
                    "emptyDir", ProtobufMessage([1: .string("medium"), 2: ProtobufField("sizeLimit", .quantity)])),
                6: .message(
                    "secret",
                    ProtobufMessage([
                        1: .string("secretName"), 2: .messages("items", keyToPath),
                        3: .int32("defaultMode", optional: true), 4: .bool("optional", optional: true),
                    ])),
                10: .message(
                    "persistentVolumeClaim", ProtobufMessage([1: .string("claimName"), 2: .bool("readOnly")])),
                19: .message(
                    "configMap",
                    ProtobufMessage([
                        1: .inline(localObjectReference), 2: .messages("items", keyToPath),
                        3: .int32("defaultMode", optional: true), 4: .bool("optional", optional: true),
                    ])),
            ])),
    ])

    static let keyToPath = ProtobufMessage([
        1: .string("key"), 2: .string("path"), 3: .int32("mode", optional: true),
    ])
}
