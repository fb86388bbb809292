import GaleProtocol
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The HTTP routes: the API, probes, metrics and the web console.
struct HTTPRoutes {
    let gateway: Gateway

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(RequestLogMiddleware())
        gateway.sessions.origins.addRefusals(to: router)
        let errorStatus = gateway.configuration.errorHTTPStatus
        let api = APIResponder(
            authority: gateway.tokens,
            dispatcher: gateway.dispatcher,
            maxBodySize: gateway.configuration.maxBodySize,
            podLogFollow: PodLogFollowRoute(
                dispatcher: gateway.dispatcher,
                logs: LogStreams(registry: gateway.registry, connections: gateway.connections),
                quotas: gateway.sessions.quotas, errorStatus: errorStatus),
            podFiles: PodFileRoute(
                transfers: gateway.fileTransfers, channels: gateway.liveChannels, errorStatus: errorStatus),
            errorStatus: errorStatus,
            overTLS: gateway.configuration.listener.tls != nil
        )
        let apiGroup = router.group(RouterPath(APIPath.base))
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            apiGroup.on("**", method: method, use: api.respond)
            apiGroup.on("", method: method, use: api.respond)
        }

        // Liveness and readiness probes carry no data, so they need no token (kubelet and load
        // balancers cannot present one).
        router.get("/healthz") { _, _ in "ok" }
        let store = gateway.registry.store
        let readiness = gateway.readiness
        router.get("/readyz") { _, context -> Response in
            // Shutting down: a load balancer stops sending clients here while open sockets drain.
            guard !readiness.isDraining else {
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "draining")))
            }
            do {
                try await store.checkHealth()
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok")))
            } catch {
                context.logger.error("readiness check failed", metadata: ["error": "\(error)"])
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "store unavailable")))
            }
        }
        let metrics = gateway.metrics
        let (live, hub, connections) = (gateway.sessions.live, gateway.hub, gateway.connections)
        let authority = gateway.tokens
        router.get("/metrics") { request, _ -> Response in
            do throws(APIError) {
                let token = try BearerToken.forHTTP(headers: request.headers, query: APIPath.query(request.uri))
                try await authority.authenticate(token).requireRole(.admin, for: "read metrics")
            } catch {
                return APIResponder.response(Envelope(error), errorStatus: errorStatus)
            }
            await metrics.sample(sessions: live, hub: hub, connections: connections)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition()))
            )
        }
        ConsoleRoutes(configuration: gateway.configuration.console)?.add(to: router)
        return router
    }
}
