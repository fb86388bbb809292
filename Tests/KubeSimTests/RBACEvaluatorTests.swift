import Foundation
import Testing

@testable import KubeSim

/// The RBAC evaluator alone: request attributes, rule matching, the subject index, the default policy.
@Suite struct RBACEvaluatorTests {
    static let bob = UserInfo(name: "bob", groups: ["system:authenticated"])

    static func attributes(_ method: String, _ target: String, user: UserInfo = bob) -> RequestAttributes {
        let parts = target.split(separator: "?", maxSplits: 1)
        return RequestAttributes(
            method: method, path: String(parts[0]), query: QueryParameters(parts.count > 1 ? String(parts[1]) : nil),
            user: user)
    }

    @Test func attributesFromRequests() {
        let list = Self.attributes("GET", "/api/v1/namespaces/default/pods")
        #expect(
            list.isResourceRequest && list.verb == "list" && list.resource == "pods" && list.namespace == "default"
                && list.name.isEmpty)
        #expect(Self.attributes("GET", "/api/v1/namespaces/default/pods?watch=true").verb == "watch")
        #expect(Self.attributes("GET", "/api/v1/namespaces/default/pods?watch=1").verb == "watch")
        #expect(Self.attributes("GET", "/api/v1/namespaces/default/pods?watch=false").verb == "list")
        #expect(Self.attributes("GET", "/api/v1/watch/namespaces/default/pods").verb == "watch")
        let named = Self.attributes(
            "GET", "/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dweb&watch=true")
        #expect(named.verb == "watch" && named.name == "web")
        #expect(Self.attributes("GET", "/api/v1/pods?fieldSelector=metadata.name!%3Dweb").name.isEmpty)
        let log = Self.attributes("GET", "/api/v1/namespaces/demo/pods/web-1/log")
        #expect(log.verb == "get" && log.qualifiedResource == "pods/log" && log.name == "web-1")
        let exec = Self.attributes("POST", "/api/v1/namespaces/demo/pods/web-1/exec")
        #expect(exec.verb == "create" && exec.subresource == "exec")
        let scale = Self.attributes("PATCH", "/apis/apps/v1/namespaces/demo/deployments/api/scale")
        #expect(scale.verb == "patch" && scale.apiGroup == "apps" && scale.qualifiedResource == "deployments/scale")
        #expect(Self.attributes("DELETE", "/api/v1/namespaces/demo/configmaps").verb == "deletecollection")
        #expect(Self.attributes("DELETE", "/api/v1/namespaces/demo/configmaps/x").verb == "delete")
        #expect(Self.attributes("PUT", "/api/v1/namespaces/demo/configmaps/x").verb == "update")
        let namespace = Self.attributes("GET", "/api/v1/namespaces/demo")
        #expect(namespace.resource == "namespaces" && namespace.name == "demo" && namespace.namespace == "demo")
        let finalize = Self.attributes("PUT", "/api/v1/namespaces/demo/finalize")
        #expect(finalize.resource == "namespaces" && finalize.subresource == "finalize")
        let nodes = Self.attributes("GET", "/api/v1/nodes")
        #expect(nodes.verb == "list" && nodes.namespace.isEmpty)
        for path in ["/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1", "/version", "/openapi/v3/api/v1"] {
            let discovery = Self.attributes("GET", path)
            #expect(!discovery.isResourceRequest && discovery.verb == "get" && discovery.path == path, "\(path)")
        }
    }

    @Test func ruleMatching() {
        let scaleAny = PolicyRule(verbs: ["get", "update"], apiGroups: ["*"], resources: ["*/scale"])
        #expect(
            scaleAny.allows(
                RequestAttributes(
                    user: Self.bob, verb: "update", apiGroup: "apps", resource: "deployments", subresource: "scale")))
        #expect(
            !scaleAny.allows(
                RequestAttributes(user: Self.bob, verb: "update", apiGroup: "apps", resource: "deployments")))
        let podsOnly = PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"])
        #expect(
            podsOnly.allows(RequestAttributes(user: Self.bob, verb: "get", resource: "pods", namespace: "a", name: "x"))
        )
        #expect(
            !podsOnly.allows(
                RequestAttributes(
                    user: Self.bob, verb: "get", resource: "pods", subresource: "log", namespace: "a", name: "x")))
        #expect(!podsOnly.allows(RequestAttributes(user: Self.bob, verb: "get", apiGroup: "apps", resource: "pods")))
        #expect(!podsOnly.allows(RequestAttributes(user: Self.bob, verb: "list", resource: "pods")))
        let named = PolicyRule(verbs: ["*"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["settings"])
        #expect(
            named.allows(
                RequestAttributes(
                    user: Self.bob, verb: "delete", resource: "configmaps", namespace: "a", name: "settings")))
        #expect(
            !named.allows(
                RequestAttributes(user: Self.bob, verb: "delete", resource: "configmaps", namespace: "a", name: "other")
            ))
        #expect(!named.allows(RequestAttributes(user: Self.bob, verb: "list", resource: "configmaps", namespace: "a")))
        let paths = PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz", "/apis/*"])
        #expect(paths.allows(RequestAttributes(user: Self.bob, verb: "get", path: "/apis/apps/v1")))
        #expect(paths.allows(RequestAttributes(user: Self.bob, verb: "get", path: "/healthz")))
        #expect(!paths.allows(RequestAttributes(user: Self.bob, verb: "get", path: "/healthz/etcd")))
        #expect(!paths.allows(RequestAttributes(user: Self.bob, verb: "post", path: "/healthz")))
        #expect(!paths.allows(RequestAttributes(user: Self.bob, verb: "get", resource: "pods")))
    }

    static func binding(
        _ kind: String, _ name: String, namespace: String? = nil, role: (String, String), subjects: [JSONValue]
    ) -> JSONValue {
        var metadata: JSONValue = ["name": .string(name)]
        if let namespace { metadata["namespace"] = .string(namespace) }
        return [
            "kind": .string(kind), "metadata": metadata, "roleRef": ["kind": .string(role.0), "name": .string(role.1)],
            "subjects": .array(subjects),
        ]
    }

    @Test func bindingsBySubjectAndNamespace() {
        let readPods: JSONValue = [
            "metadata": ["name": "read-pods"],
            "rules": [["apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]]],
        ]
        let aggregate: JSONValue = [
            "metadata": ["name": "aggregate"],
            "aggregationRule": ["clusterRoleSelectors": [["matchLabels": ["join": "yes"]]]],
        ]
        let joined: JSONValue = [
            "metadata": ["name": "joined", "labels": ["join": "yes"]],
            "rules": [["apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["list"]]],
        ]
        let role: JSONValue = [
            "metadata": ["name": "cm-writer", "namespace": "demo"],
            "rules": [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["create"]]],
        ]
        let index = RBACIndex(
            roles: [role], clusterRoles: [readPods, aggregate, joined],
            roleBindings: [
                Self.binding(
                    "RoleBinding", "pods-in-demo", namespace: "demo", role: ("ClusterRole", "read-pods"),
                    subjects: [["kind": "User", "name": "bob"]]),
                Self.binding(
                    "RoleBinding", "cm", namespace: "demo", role: ("Role", "cm-writer"),
                    subjects: [["kind": "ServiceAccount", "name": "ci"]]),
                Self.binding(
                    "RoleBinding", "missing", namespace: "demo", role: ("Role", "nope"),
                    subjects: [["kind": "User", "name": "bob"]]),
            ],
            clusterRoleBindings: [
                Self.binding(
                    "ClusterRoleBinding", "agg", role: ("ClusterRole", "aggregate"),
                    subjects: [["kind": "Group", "name": "team"]])
            ])
        let bob = Self.bob
        #expect(
            index.allowingGrant(RequestAttributes(user: bob, verb: "list", resource: "pods", namespace: "demo")) != nil)
        #expect(
            index.allowingGrant(RequestAttributes(user: bob, verb: "list", resource: "pods", namespace: "default"))
                == nil)
        #expect(index.allowingGrant(RequestAttributes(user: bob, verb: "list", resource: "pods")) == nil)
        let teamMember = UserInfo(name: "eve", groups: ["team", "system:authenticated"])
        let listDeployments = RequestAttributes(
            user: teamMember, verb: "list", apiGroup: "apps", resource: "deployments", namespace: "x")
        #expect(
            index.allowingGrant(listDeployments)?.source
                == "ClusterRoleBinding \"agg\" of ClusterRole \"aggregate\" to Group \"team\"")
        let ci = UserInfo.serviceAccount(namespace: "demo", name: "ci")
        #expect(ci.name == "system:serviceaccount:demo:ci" && ci.groups.contains("system:serviceaccounts:demo"))
        #expect(
            index.allowingGrant(RequestAttributes(user: ci, verb: "create", resource: "configmaps", namespace: "demo"))
                != nil)
        let otherCI = UserInfo.serviceAccount(namespace: "staging", name: "ci")
        #expect(
            index.allowingGrant(
                RequestAttributes(user: otherCI, verb: "create", resource: "configmaps", namespace: "demo")) == nil)
        #expect(index.rules(for: bob, namespace: "demo").count == 1)
        #expect(index.rules(for: bob, namespace: "default").isEmpty)
    }

    @Test func defaultPolicyForGatewayRoles() {
        let store = ObjectStore()
        BootstrapPolicy.seed(store)
        let authorizer = RBACAuthorizer(store: store)
        func can(
            _ groups: [String], _ verb: String, _ resource: String, _ subresource: String = "", group: String = "",
            namespace: String = "default"
        ) -> Bool {
            let user = UserInfo(name: "someone", groups: groups + ["system:authenticated"])
            return authorizer.authorize(
                RequestAttributes(
                    user: user, verb: verb, apiGroup: group, resource: resource, subresource: subresource,
                    namespace: namespace)
            ).allowed
        }
        let viewer = ["kubegale:viewer"]
        let operatorGroups = ["kubegale:operator"]
        #expect(
            can(viewer, "list", "pods") && can(viewer, "watch", "deployments", group: "apps")
                && can(viewer, "get", "pods", "log"))
        #expect(
            can(viewer, "list", "nodes", namespace: "")
                && can(viewer, "list", "nodes", group: "metrics.k8s.io", namespace: ""))
        #expect(can(viewer, "list", "customresourcedefinitions", group: "apiextensions.k8s.io", namespace: ""))
        #expect(
            !can(viewer, "get", "secrets") && !can(viewer, "list", "secrets") && !can(viewer, "create", "pods", "exec"))
        #expect(!can(viewer, "delete", "pods") && !can(viewer, "list", "roles", group: "rbac.authorization.k8s.io"))
        #expect(
            can(operatorGroups, "create", "pods", "exec") && can(operatorGroups, "get", "pods", "exec")
                && can(operatorGroups, "get", "pods", "portforward"))
        #expect(
            can(operatorGroups, "get", "secrets") && can(operatorGroups, "patch", "deployments", "scale", group: "apps")
        )
        #expect(
            can(operatorGroups, "list", "persistentvolumes", namespace: "")
                && !can(operatorGroups, "delete", "nodes", namespace: ""))
        #expect(!can(operatorGroups, "create", "rolebindings", group: "rbac.authorization.k8s.io"))
        #expect(
            can(["kubegale:admin"], "delete", "nodes", namespace: "")
                && can(["kubegale:admin"], "create", "clusterroles", group: "rbac.authorization.k8s.io", namespace: ""))
        #expect(!can([], "list", "pods"))
        let plain = UserInfo(name: "someone", groups: ["system:authenticated"])
        #expect(authorizer.authorize(RequestAttributes(user: plain, verb: "get", path: "/apis/apps/v1")).allowed)
        #expect(
            !authorizer.authorize(RequestAttributes(user: plain, verb: "post", path: "/_kubesim/faults/clear")).allowed)
        #expect(
            authorizer.authorize(
                RequestAttributes(
                    user: plain, verb: "create", apiGroup: "authorization.k8s.io", resource: "selfsubjectaccessreviews")
            ).allowed)
        #expect(
            !authorizer.authorize(
                RequestAttributes(
                    user: plain, verb: "create", apiGroup: "authorization.k8s.io", resource: "subjectaccessreviews")
            ).allowed)
        #expect(
            authorizer.authorize(
                RequestAttributes(
                    user: .admin, verb: "create", apiGroup: "authorization.k8s.io", resource: "subjectaccessreviews")
            ).allowed)
    }

    @Test func indexFollowsRBACChanges() throws {
        let store = ObjectStore()
        BootstrapPolicy.seed(store)
        try store.create(ResourceCatalog.namespaces, namespace: nil, object: ["metadata": ["name": "demo"]])
        let authorizer = RBACAuthorizer(store: store)
        let listPods = RequestAttributes(user: Self.bob, verb: "list", resource: "pods", namespace: "demo")
        #expect(!authorizer.authorize(listPods).allowed)
        try store.create(
            ResourceCatalog.roleBindings, namespace: "demo",
            object: Self.binding(
                "RoleBinding", "bob-view", namespace: "demo", role: ("ClusterRole", "view"),
                subjects: [["kind": "User", "name": "bob"]]))
        let decision = authorizer.authorize(listPods)
        #expect(
            decision.allowed
                && decision.reason
                    == "RBAC: allowed by RoleBinding \"bob-view/demo\" of ClusterRole \"view\" to User \"bob\""
        )
        // Unrelated writes leave the index as it is; RBAC writes rebuild it.
        try store.create(ResourceCatalog.configMaps, namespace: "demo", object: ["metadata": ["name": "unrelated"]])
        #expect(authorizer.authorize(listPods).allowed)
        try store.remove(ResourceCatalog.roleBindings, namespace: "demo", name: "bob-view")
        #expect(!authorizer.authorize(listPods).allowed)
    }
}
