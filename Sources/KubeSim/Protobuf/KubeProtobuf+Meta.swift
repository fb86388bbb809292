import GaleJSON

/// `k8s.io/apimachinery/pkg/apis/meta/v1` messages every object uses.
extension KubeProtobuf {
    static let objectMeta = ProtobufMessage([
        1: .string("name"), 2: .string("generateName"), 3: .string("namespace"), 4: .string("selfLink"),
        5: .string("uid"), 6: .string("resourceVersion"), 7: .int64("generation"), 8: .time("creationTimestamp"),
        9: .time("deletionTimestamp"), 10: .int64("deletionGracePeriodSeconds", optional: true),
        11: .stringMap("labels"), 12: .stringMap("annotations"), 13: .messages("ownerReferences", ownerReference),
        14: .strings("finalizers"),
    ])

    static let ownerReference = ProtobufMessage([
        5: .string("apiVersion"), 1: .string("kind"), 3: .string("name"), 4: .string("uid"),
        6: .bool("controller", optional: true), 7: .bool("blockOwnerDeletion", optional: true),
    ])

    static let labelSelector = ProtobufMessage([
        1: .stringMap("matchLabels"),
        2: .messages(
            "matchExpressions",
            ProtobufMessage([1: .string("key"), 2: .string("operator"), 3: .strings("values")])),
    ])

    static let deleteOptions = ProtobufMessage([
        1: .int64("gracePeriodSeconds", optional: true),
        2: .message(
            "preconditions", ProtobufMessage([1: .optionalString("uid"), 2: .optionalString("resourceVersion")])),
        3: .bool("orphanDependents", optional: true), 4: .optionalString("propagationPolicy"), 5: .strings("dryRun"),
    ])

    /// A `LocalObjectReference`, inlined into selectors and volume sources as their `name`.
    static let localObjectReference = ProtobufMessage([1: .string("name")])
}
