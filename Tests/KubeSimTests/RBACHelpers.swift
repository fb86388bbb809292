import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1

/// Requests as a given token, optionally impersonating, for the RBAC tests.
struct RBACClient {
    let baseURL: String
    let token: String
    var impersonate: [(String, String)] = []

    init(_ server: KubeSimServer, token: String, impersonate: [(String, String)] = []) {
        self.baseURL = server.url!
        self.token = token
        self.impersonate = impersonate
    }

    func request(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws -> (
        status: Int, json: JSONValue
    ) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        for (name, value) in impersonate { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.jsonString))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        let json = (try? JSONValue(parsing: buffer.readableBytesView)) ?? .string(String(buffer: buffer))
        return (Int(response.status.code), json)
    }

    func get(_ path: String) async throws -> (status: Int, json: JSONValue) { try await request(.GET, path) }
}

enum RBACFixture {
    /// Tokens of users without the admin's `system:masters`.
    static let users: [String: UserInfo] = [
        "bob-token": UserInfo(name: "bob"),
        "carol-token": UserInfo(name: "carol", groups: ["kubegale:operator"]),
        "vic-token": UserInfo(name: "vic", groups: ["kubegale:viewer"]),
    ]

    static func configuration(tls: Bool = false) -> KubeSimServer.Configuration {
        var configuration = SimFixture.configuration(tls: tls)
        configuration.users = users
        return configuration
    }

    /// A SubjectAccessReview body.
    static func accessReview(
        user: String, groups: [String] = [], verb: String, resource: String, subresource: String = "",
        namespace: String = "", group: String = ""
    ) -> JSONValue {
        [
            "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
            "spec": [
                "user": .string(user), "groups": .array(groups.map { .string($0) }),
                "resourceAttributes": [
                    "verb": .string(verb), "resource": .string(resource), "subresource": .string(subresource),
                    "namespace": .string(namespace), "group": .string(group),
                ],
            ],
        ]
    }
}

extension Kubectl {
    /// kubectl with a kubeconfig holding another of the simulator's tokens.
    init(_ server: KubeSimServer, token: String) throws {
        kubeconfig = NSTemporaryDirectory() + "kubesim-\(UUID().uuidString).yaml"
        try server.writeKubeconfig(to: kubeconfig, token: token)
    }
}
