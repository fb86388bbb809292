import HTTPTypes
import Hummingbird
import Logging

/// Gives every HTTP request an id and logs one line per request with it, the method, the path
/// (never the query string, which may carry an `access_token`), status and duration. Bodies are
/// never logged.
///
/// The id is the request's `X-Request-Id` when it sent a usable one (a proxy's or a client's: 1 to
/// 128 letters, digits and `-_.:`), otherwise a new one. It is returned in the response's
/// `X-Request-Id` and is the `hb.request.id` of every log line written while the request is handled.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        let id = request.headers[.requestID].flatMap(Self.usable) ?? context.id
        context.logger[metadataKey: "hb.request.id"] = .string(id)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // Errors thrown past the router (no route, …) become their response here, so they carry
            // the id and are logged too.
            response = try error.response(from: request, context: context)
        }
        response.headers[.requestID] = id
        let elapsed = ContinuousClock.now - start
        context.logger.info(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)",
                "path": "\(request.uri.path)",
                "status": "\(response.status.code)",
                "duration_ms": "\(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)",
            ]
        )
        return response
    }

    /// `value` when it is safe to log and echo: 1…128 characters of `[A-Za-z0-9._:-]`.
    static func usable(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count),
            value.utf8.allSatisfy({ byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x3A
            })
        else { return nil }
        return value
    }
}

extension HTTPField.Name {
    /// `X-Request-Id`: the id a request is logged under, echoed in its response.
    static let requestID = Self("X-Request-Id")!
}
