import GaleJSON
import GaleProtocol
import HTTPTypes
import Hummingbird
import NIOCore

/// Serves every operation over HTTP under `/api/v1/kubernetes`, through the same dispatcher as
/// WebSocket `request` frames.
struct APIResponder: Sendable {
    let authority: TokenAuthority
    let dispatcher: OperationDispatcher
    let maxBodySize: Int
    /// `GET /pods/{name}/logs?follow=true`, answered as a text stream instead of an envelope.
    let podLogFollow: PodLogFollowRoute
    /// `PUT`/`GET /pods/{name}/files`: the request or response body is the file.
    let podFiles: PodFileRoute
    /// The HTTP status of error envelopes.
    let errorStatus: ErrorHTTPStatus
    /// Whether the gateway serves TLS itself (https, and wss for the URLs it hands out).
    let overTLS: Bool

    @Sendable func respond(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let query = APIPath.query(request.uri)
        let principal: Principal
        do throws(APIError) {
            principal = try await authority.authenticate(BearerToken.forHTTP(headers: request.headers, query: query))
        } catch {
            return Self.response(Envelope(error), errorStatus: errorStatus)
        }
        let (path, _) = APIPath.split(request.uri.path)
        if let stream = await podLogFollow.response(
            method: request.method, path: path, query: query, principal: principal, logger: context.logger)
        {
            return stream
        }
        if let transfer = await podFiles.response(
            request, path: path, query: query, principal: principal, logger: context.logger)
        {
            return transfer
        }
        let body: JSONValue?
        do throws(APIError) {
            body = try await readBody(request)
        } catch {
            return Self.response(Envelope(error), errorStatus: errorStatus)
        }
        let envelope = await dispatcher.dispatch(
            method: request.method,
            path: path,
            query: query,
            body: body,
            principal: principal,
            transport: .http,
            logger: context.logger,
            origin: RequestOrigin(request.head, overTLS: overTLS)
        )
        return Self.response(envelope, errorStatus: errorStatus)
    }

    /// The JSON body, if any; 1001 for a body that is too large or not JSON.
    private func readBody(_ request: Request) async throws(APIError) -> JSONValue? {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBodySize)
        } catch {
            throw .invalidArgument("request body is larger than \(maxBodySize) bytes")
        }
        guard buffer.readableBytes > 0 else { return nil }
        do {
            return try JSONParser.parse(buffer.readableBytesView)
        } catch {
            throw .invalidArgument("request body is not valid JSON: \(error.reason) at byte \(error.offset)")
        }
    }

    /// The envelope as an HTTP response whose status follows its code, as `errorStatus` says.
    static func response(_ envelope: Envelope, errorStatus: ErrorHTTPStatus) -> Response {
        var bytes: [UInt8] = []
        envelope.json.write(to: &bytes)
        return Response(
            status: HTTPResponse.Status(code: errorStatus.status(for: envelope.code)),
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
