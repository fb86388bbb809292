import Foundation
import GaleJSON
import HTTPTypes
import Hummingbird
import NIOCore

/// Serves the Kubernetes REST API from the simulated cluster.
struct APIHandler: Sendable {
    let api: ClusterAPI
    let gate: RequestGate
    let reviews: AccessReviews
    let faults: FaultInjector
    let logs: LogGenerator
    let metrics: MetricsProvider
    let streams: LiveStreams
    let configuration: KubeSimServer.Configuration
    let serverAddress: @Sendable () -> String

    var store: ObjectStore { api.store }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var bytes: [UInt8] = []
        value.write(to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func failure(_ error: KubeStatusError) -> Response {
        json(error.status, status: HTTPResponse.Status(code: error.code))
    }

    static let publicPaths: Set<String> = ["/version", "/version/", "/healthz", "/readyz", "/livez"]

    /// Entry point for every route.
    func handle(_ request: Request, context: SimRequestContext) async -> Response {
        if let delay = faults.latency, delay > .zero { try? await Task.sleep(for: delay) }
        // Like the apiserver's default `system:public-info-viewer` binding, version and health are public
        // (kubectl's version dispatcher asks /version without credentials).
        let user: UserInfo
        if Self.publicPaths.contains(request.uri.path), gate.authenticate(request.headers) == nil {
            user = UserInfo(name: UserInfo.anonymousName, groups: [UserInfo.unauthenticatedGroup])
        } else {
            do {
                user = try gate.admit(
                    method: request.method.rawValue, path: request.uri.path, query: QueryParameters(request.uri.query),
                    headers: request.headers)
            } catch let error as KubeStatusError {
                return Self.failure(error)
            } catch {
                return Self.failure(.unauthorized)
            }
        }
        if let failure = faults.takeFailure() { return Self.failure(failure) }
        do {
            return try await route(request, context: context, user: user)
        } catch let error as KubeStatusError {
            return Self.failure(error)
        } catch {
            return Self.failure(.internalError("\(error)"))
        }
    }

    private func route(_ request: Request, context: SimRequestContext, user: UserInfo) async throws -> Response {
        let path = request.uri.path
        switch path {
        case "/version", "/version/": return Self.json(Discovery.version(configuration.gitVersion))
        case "/healthz", "/readyz", "/livez":
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok")))
        default: break
        }
        if path.hasPrefix("/_kubesim/") { return try await faults.handleHTTP(request, store: store) }
        if path == "/openapi/v2" {
            return Response(status: .ok, headers: [.contentType: OpenAPIDocuments.v2ContentType], body: .init())
        }
        if path == "/openapi/v3" { return Self.json(OpenAPIDocuments.index()) }
        if path.hasPrefix("/openapi/v3/") {
            guard let document = OpenAPIDocuments.document(path: String(path.dropFirst("/openapi/v3/".count))) else {
                throw KubeStatusError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
            }
            return Self.json(document)
        }
        guard let parsed = APIPath(path) else {
            throw KubeStatusError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        let query = QueryParameters(request.uri.query)
        switch parsed.target {
        case .coreVersions: return Self.json(Discovery.coreVersions(serverAddress: serverAddress()))
        case .groupList: return Self.json(Discovery.groupList())
        case .group(let name): return Self.json(Discovery.group(name))
        case .resourceList(let group, let version): return Self.json(Discovery.resourceList(group: group, version: version))
        case .resource(let type, let namespace, let name, let subresource):
            if type.namespaced == false, namespace != nil {
                throw KubeStatusError.notFound(type, name ?? "")
            }
            let target = ResourceTarget(type: type, namespace: namespace, name: name, subresource: subresource)
            if type.review {
                guard request.method == .post else { throw KubeStatusError.methodNotAllowed() }
                let body = try await readReview(request, type: type, context: context)
                let answer = try reviews.answer(type, namespace: namespace, body: body, requester: user)
                return Self.json(answer, status: .created)
            }
            return try await handleResource(request, context: context, target: target, query: query)
        }
    }

    struct ResourceTarget {
        let type: ResourceType
        let namespace: String?
        let name: String?
        let subresource: String?
    }

    private func handleResource(_ request: Request, context: SimRequestContext, target: ResourceTarget, query: QueryParameters)
        async throws -> Response
    {
        let dryRun = query.all("dryRun").contains("All")
        let type = target.type
        if type.readOnly { return try metrics.respond(type, namespace: target.namespace, name: target.name, query: query, method: request.method) }
        guard let name = target.name else {
            switch request.method {
            case .get:
                let table = try TableRequest(accept: request.headers[.accept], query: query)
                if query.bool("watch") && query["watch"] != nil {
                    return try watch(target, query: query, context: context, table: table)
                }
                return try list(target, query: query, table: table)
            case .post:
                let body = try await readBody(request, context: context)
                let created = try api.create(type, namespace: target.namespace, object: body, dryRun: dryRun)
                return Self.json(created, status: .created)
            case .delete:
                return try deleteCollection(target, query: query, dryRun: dryRun)
            default:
                throw KubeStatusError.methodNotAllowed()
            }
        }
        switch target.subresource {
        case nil, "status":
            return try await handleObject(request, context: context, target: target, name: name, query: query, dryRun: dryRun)
        case "scale":
            guard let namespace = target.namespace else { throw KubeStatusError.notFound(type, name) }
            switch request.method {
            case .get: return Self.json(try api.scale(type, namespace: namespace, name: name))
            case .put:
                let body = try await readBody(request, context: context)
                return Self.json(try api.updateScale(type, namespace: namespace, name: name, scale: body, dryRun: dryRun))
            case .patch:
                let (format, body) = try await readPatch(request, context: context)
                return Self.json(try api.updateScale(type, namespace: namespace, name: name, patch: (format, body), dryRun: dryRun))
            default: throw KubeStatusError.methodNotAllowed()
            }
        case "eviction" where type == ResourceCatalog.pods && request.method == .post:
            _ = try await readBody(request, context: context)
            let status = try api.evict(namespace: target.namespace ?? "default", name: name, dryRun: dryRun)
            return Self.json(status, status: .created)
        case "log" where type == ResourceCatalog.pods && request.method == .get:
            return try logs.respond(
                namespace: target.namespace ?? "default", name: name, query: query, context: context, streams: streams,
                faults: faults, store: store)
        case "exec", "attach", "portforward":
            _ = try store.get(type, namespace: target.namespace, name: name)
            throw KubeStatusError(code: 400, reason: "BadRequest", message: "Upgrade request required")
        case "ephemeralcontainers" where type == ResourceCatalog.pods:
            return try await handleEphemeralContainers(
                request, context: context, namespace: target.namespace ?? "default", name: name, dryRun: dryRun)
        case "finalize" where type == ResourceCatalog.namespaces && request.method == .put:
            let body = try await readBody(request, context: context)
            let updated = try store.modify(type, namespace: nil, name: name, dryRun: dryRun) { namespace in
                namespace[path: ["spec", "finalizers"]] = body[path: ["spec", "finalizers"]] ?? .array([])
            }
            return Self.json(updated)
        default:
            throw KubeStatusError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
    }

    private func handleObject(
        _ request: Request, context: SimRequestContext, target: ResourceTarget, name: String, query: QueryParameters, dryRun: Bool
    ) async throws -> Response {
        let type = target.type
        let statusOnly = target.subresource == "status"
        switch request.method {
        case .get:
            let object = try store.get(type, namespace: target.namespace, name: name)
            if !statusOnly, let table = try TableRequest(accept: request.headers[.accept], query: query) {
                return Self.json(table.table(type, object: object))
            }
            return Self.json(object)
        case .put:
            let body = try await readBody(request, context: context)
            return Self.json(
                try api.replace(type, namespace: target.namespace, name: name, object: body, statusOnly: statusOnly, dryRun: dryRun))
        case .patch:
            let (format, body) = try await readPatch(request, context: context)
            if format == .apply, store.find(type, namespace: target.namespace, name: name) == nil {
                return Self.json(try api.create(type, namespace: target.namespace, object: body, dryRun: dryRun), status: .created)
            }
            return Self.json(
                try api.patch(
                    type, namespace: target.namespace, name: name, format: format, patch: body, statusOnly: statusOnly, dryRun: dryRun))
        case .delete:
            let body = (try? await readBody(request, context: context)) ?? .object([:])
            let policyText = query["propagationPolicy"] ?? body["propagationPolicy"]?.stringValue
            var propagation = policyText.flatMap(ClusterAPI.Propagation.init(rawValue:))
            if propagation == nil, body["orphanDependents"]?.boolValue == true || query["orphanDependents"] == "true" {
                propagation = .orphan
            }
            let bodyDryRun = (body["dryRun"]?.arrayValue ?? []).contains("All")
            let deleted = try api.delete(
                type, namespace: target.namespace, name: name, propagation: propagation,
                expectedUID: body[path: ["preconditions", "uid"]]?.stringValue, dryRun: dryRun || bodyDryRun)
            return Self.json(deleted)
        default:
            throw KubeStatusError.methodNotAllowed()
        }
    }

    func readBody(_ request: Request, context: SimRequestContext) async throws -> JSONValue {
        if KubeProtobuf.isProtobuf(contentType: request.headers[.contentType] ?? "") { return try await readProtobuf(request) }
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let bytes = buffer.readableBytesView
        if bytes.isEmpty { return .object([:]) }
        do {
            return try JSONParser.parse(bytes, configuration: .kubeSim)
        } catch {
            if let yaml = try? YAMLBridge.parse(String(decoding: bytes, as: UTF8.self)) { return yaml }
            throw KubeStatusError.badRequest("the object provided is unrecognized: \(error)")
        }
    }

    /// A review's body: JSON, YAML, or the protobuf typed clients send (which may leave the kind out).
    func readReview(_ request: Request, type: ResourceType, context: SimRequestContext) async throws -> JSONValue {
        guard KubeProtobuf.isProtobuf(contentType: request.headers[.contentType] ?? "") else {
            return try await readBody(request, context: context)
        }
        return try await readProtobuf(request, addressed: type)
    }

    func readPatch(_ request: Request, context: SimRequestContext) async throws -> (PatchFormat, JSONValue) {
        let contentType = request.headers[.contentType] ?? ""
        guard let format = PatchFormat(contentType: contentType) else { throw KubeStatusError.unsupportedMediaType(contentType) }
        return (format, try await readBody(request, context: context))
    }
}
