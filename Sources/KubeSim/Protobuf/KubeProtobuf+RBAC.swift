import GaleJSON

/// `rbac.authorization.k8s.io/v1` kinds and the access reviews (`kubectl auth can-i`, `kubectl auth whoami`).
extension KubeProtobuf {
    static let policyRule = ProtobufMessage([
        1: .strings("verbs"), 2: .strings("apiGroups"), 3: .strings("resources"), 4: .strings("resourceNames"),
        5: .strings("nonResourceURLs"),
    ])

    static let role = ProtobufMessage([1: .message("metadata", objectMeta), 2: .messages("rules", policyRule)])

    static let clusterRole = ProtobufMessage([
        1: .message("metadata", objectMeta), 2: .messages("rules", policyRule),
        3: .message("aggregationRule", ProtobufMessage([1: .messages("clusterRoleSelectors", labelSelector)])),
    ])

    /// RoleBinding and ClusterRoleBinding.
    static let roleBinding = ProtobufMessage([
        1: .message("metadata", objectMeta),
        2: .messages(
            "subjects",
            ProtobufMessage([1: .string("kind"), 2: .string("apiGroup"), 3: .string("name"), 4: .string("namespace")])),
        3: .message("roleRef", ProtobufMessage([1: .string("apiGroup"), 2: .string("kind"), 3: .string("name")])),
    ])

    static let subjectAccessReview = ProtobufMessage([
        1: .message("metadata", objectMeta),
        2: .message(
            "spec",
            ProtobufMessage([
                1: .message("resourceAttributes", resourceAttributes),
                2: .message("nonResourceAttributes", nonResourceAttributes), 3: .string("user"),
                4: .strings("groups"), 5: ProtobufField("extra", .map(.stringList)), 6: .string("uid"),
            ])),
    ])

    static let selfSubjectAccessReview = ProtobufMessage([
        1: .message("metadata", objectMeta),
        2: .message(
            "spec",
            ProtobufMessage([
                1: .message("resourceAttributes", resourceAttributes),
                2: .message("nonResourceAttributes", nonResourceAttributes),
            ])),
    ])

    static let selfSubjectRulesReview = ProtobufMessage([
        1: .message("metadata", objectMeta), 2: .message("spec", ProtobufMessage([1: .string("namespace")])),
    ])

    static let selfSubjectReview = ProtobufMessage([1: .message("metadata", objectMeta)])

    static let resourceAttributes = ProtobufMessage([
        1: .string("namespace"), 2: .string("verb"), 3: .string("group"), 4: .string("version"),
        5: .string("resource"), 6: .string("subresource"), 7: .string("name"),
    ])

    static let nonResourceAttributes = ProtobufMessage([1: .string("path"), 2: .string("verb")])
}
