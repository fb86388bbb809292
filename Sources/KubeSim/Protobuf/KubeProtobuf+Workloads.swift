import GaleJSON

/// `apps/v1`, `batch/v1`, `autoscaling/v1` and `policy/v1` kinds.
extension KubeProtobuf {
    static let deployment = ProtobufMessage([
        1: .message("metadata", objectMeta),
        2: .message(
            "spec",
            ProtobufMessage([
                1: .int32("replicas", optional: true), 2: .message("selector", labelSelector),
                3: .message("template", podTemplateSpec),
                4: .message(
                    "strategy",
                    ProtobufMessage([
                        1: .string("type"),
                        2: .message(
                            "rollingUpdate",
                            ProtobufMessage([1: .intOrString("maxUnavailable"), 2: .intOrString("maxSurge")])),
                    ])),
                5: .int32("minReadySeconds"), 6: .int32("revisionHistoryLimit", optional: true), 7: .bool("paused"),
                9: .int32("progressDeadlineSeconds", optional: true),
            ])),
    ])

    static let replicaSet = ProtobufMessage([
        1: .message("metadata", objectMeta),
        2: .message(
            "spec",
            ProtobufMessage([
                1: .int32("replicas", optional: true), 4: .int32("minReadySeconds"),
                2: .message("selector", labelSelector), 3: .message("template", podTemplateSpec),
            ])),
    ])

    static let statefulSet = ProtobufMessage([
        1: .message("metadata", objectMeta),
        2: .message(
            "spec",
            ProtobufMessage([
                1: .int32("replicas", optional: true), 2: .message("selector", labelSelector),
                3: .message("template", podTemplateSpec), 4: .messages("volumeClaimTemplates", persistentVolumeClaim),
                5: .string("serviceName"), 6: .string("podManagementPolicy"),
                7: .message(
                    "updateStrategy",
                    ProtobufMessage([
                        1: .string("type"),
                        2: .message(
                            "rollingUpdate",
                            ProtobufMessage([1: .int32("partition", optional: true), 2: .intOrString("maxUnavailable")])
                        ),
                    ])),
                8: .int32("revisionHistoryLimit", optional: true), 9: .int32("minReadySeconds"),
                10: .message(
                    "persistentVolumeClaimRetentionPolicy",
                    ProtobufMessage([1: .string("whenDeleted"), 2: .string("whenScaled")])),
                11: .message("ordinals", ProtobufMessage([1: .int32("start")])),
            ])),
    ])

    static let daemonSet = ProtobufMessage([
        1: .message("metadata", objectMeta),
        2: .message(
            "spec",
            ProtobufMessage([
                1: .message("selector", labelSelector), 2: .message("template", podTemplateSpec),
                3: .message(
                    "updateStrategy",
                    ProtobufMessage([
                        1: .string("type"),
                        2: .message(
                            "rollingUpdate",
                            ProtobufMessage([1: .intOrString("maxUnavailable"), 2: .intOrString("maxSurge")])),
                    ])),
                4: .int32("minReadySeconds"), 6: .int32("revisionHistoryLimit", optional: true),
            ])),
    ])

    static let job = ProtobufMessage([1: .message("metadata", objectMeta), 2: .message("spec", jobSpec)])

    static let jobSpec = ProtobufMessage([
        1: .int32("parallelism", optional: true), 2: .int32("completions", optional: true),
        3: .int64("activeDeadlineSeconds", optional: true), 7: .int32("backoffLimit", optional: true),
        12: .int32("backoffLimitPerIndex", optional: true), 13: .int32("maxFailedIndexes", optional: true),
        4: .message("selector", labelSelector), 5: .bool("manualSelector", optional: true),
        6: .message("template", podTemplateSpec), 8: .int32("ttlSecondsAfterFinished", optional: true),
        9: .optionalString("completionMode"), 10: .bool("suspend", optional: true),
        14: .optionalString("podReplacementPolicy"), 15: .optionalString("managedBy"),
    ])

    static let cronJob = ProtobufMessage([
        1: .message("metadata", objectMeta),
        2: .message(
            "spec",
            ProtobufMessage([
                1: .string("schedule"), 8: .optionalString("timeZone"),
                2: .int64("startingDeadlineSeconds", optional: true), 3: .string("concurrencyPolicy"),
                4: .bool("suspend", optional: true),
                5: .message(
                    "jobTemplate", ProtobufMessage([1: .message("metadata", objectMeta), 2: .message("spec", jobSpec)])),
                6: .int32("successfulJobsHistoryLimit", optional: true),
                7: .int32("failedJobsHistoryLimit", optional: true),
            ])),
    ])

    /// `autoscaling/v1` Scale, sent to a `scale` subresource; `replicas` is always sent, so 0 is kept.
    static let scale = ProtobufMessage([
        1: .message("metadata", objectMeta),
        2: .message("spec", ProtobufMessage([1: .int32("replicas", optional: true)])),
    ])

    /// `policy/v1` Eviction, sent to a pod's `eviction` subresource.
    static let eviction = ProtobufMessage([
        1: .message("metadata", objectMeta), 2: .message("deleteOptions", deleteOptions),
    ])

    /// `networking.k8s.io/v1` Ingress.
    static let ingress = ProtobufMessage([
        1: .message("metadata", objectMeta),
        2: .message(
            "spec",
            ProtobufMessage([
                4: .optionalString("ingressClassName"), 1: .message("defaultBackend", ingressBackend),
                2: .messages("tls", ProtobufMessage([1: .strings("hosts"), 2: .string("secretName")])),
                3: .messages(
                    "rules",
                    ProtobufMessage([
                        1: .string("host"),
                        2: .inline(
                            ProtobufMessage([
                                1: .message(
                                    "http",
                                    ProtobufMessage([
                                        1: .messages(
                                            "paths",
                                            ProtobufMessage([
                                                1: .string("path"), 3: .optionalString("pathType"),
                                                2: .message("backend", ingressBackend),
                                            ]))
                                    ]))
                            ])),
                    ])),
            ])),
    ])

    static let ingressBackend = ProtobufMessage([
        4: .message(
            "service",
            ProtobufMessage([
                1: .string("name"),
                2: .message("port", ProtobufMessage([1: .string("name"), 2: .int32("number")])),
            ])),
        3: .message(
            "resource", ProtobufMessage([1: .optionalString("apiGroup"), 2: .string("kind"), 3: .string("name")])),
    ])
}
