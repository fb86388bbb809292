import GaleProtocol
import Hummingbird

extension OriginPolicy {
    /// The socket paths, as the HTTP router answers them when no upgrade was made: 403 (error
    /// 1005) for a browser origin that is not allowed — the upgrade was refused for it — and 426
    /// for a plain request.
    func addRefusals(to router: Router<BasicRequestContext>) {
        for (path, _) in WebSocketRoutes.paths {
            router.get(RouterPath(path)) { request, _ -> Response in
                guard allows(request) else {
                    let refusal = APIError(.forbidden, "this origin may not open sockets on the gateway")
                    return APIResponder.response(Envelope(refusal), errorStatus: .mapped)
                }
                var response = APIResponder.response(
                    Envelope(APIError.invalidArgument("this path takes WebSocket upgrades")), errorStatus: .mapped)
                response.status = .upgradeRequired
                return response
            }
        }
    }
}
