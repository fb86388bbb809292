import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// A tiny Kubernetes-shaped HTTP(S) server on 127.0.0.1, port 0, answering just what the
/// KubeClient tests ask: `/version`, pod list and watch, logs, and any other request echoed as
/// a JSON description of what arrived. It requires `Authorization: Bearer <token>` when `token` is set.
struct TestAPIServer {
    struct Recorded: Sendable {
        var method: String
        var path: String
        var query: String
        var contentType: String?
        var authorization: String?
        var body: String
    }

    /// Requests seen, in order.
    final class Log: @unchecked Sendable {
        // @unchecked Sendable: all access goes through the lock.
        private let lock = NSLock()
        private var entries: [Recorded] = []
        func append(_ entry: Recorded) { lock.withLock { entries.append(entry) } }
        var all: [Recorded] { lock.withLock { entries } }
    }

    var tls: TLSConfiguration?
    var token: String?

    /// A server TLS configuration from the test PKI; `requireClientCertificate` turns on mutual TLS.
    static func tlsConfiguration(_ pki: TestPKI, requireClientCertificate: Bool) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.server.certificatePEM.utf8)).map {
                .certificate($0)
            },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.server.keyPEM.utf8), format: .pem))
        )
        if requireClientCertificate {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pki.caPEM.utf8)))
        }
        return configuration
    }

    /// Runs the server while `body` runs, passing it the port and the request log.
    func run<T: Sendable>(_ body: @Sendable (Int, Log) async throws -> T) async throws -> T {
        let log = Log()
        let token = self.token
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            try await Self.respond(to: request, token: token, log: log)
        }
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server: HTTPServerBuilder = try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1()
        let app = Application(
            responder: responder,
            server: server,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: Logger(label: "test-apiserver", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = portStream.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            defer { group.cancelAll() }
            return try await body(port, log)
        }
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func status(_ code: Int, reason: String, message: String, kind: String? = nil, name: String? = nil)
        -> Response
    {
        var details = ""
        if let kind, let name { details = #","details":{"name":"\#(name)","kind":"\#(kind)"}"# }
        let body =
            #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"\#(message)","reason":"\#(reason)"\#(details),"code":\#(code)}"#
        return json(.init(code: code), body)
    }

    /// Sends `text` in pieces of the given sizes, cycling, so that events straddle chunk boundaries.
    static func chunked(_ text: String, pieces: [Int], contentType: String = "application/json") -> Response {
        let bytes = Array(text.utf8)
        return Response(
            status: .ok, headers: [.contentType: contentType],
            body: ResponseBody { writer in
                var offset = 0
                var index = 0
                while offset < bytes.count {
                    let size = min(pieces[index % pieces.count], bytes.count - offset)
                    try await writer.write(ByteBuffer(bytes: bytes[offset..<offset + size]))
                    offset += size
                    index += 1
                    try await Task.sleep(for: .milliseconds(2))
                }
                try await writer.finish(nil)
            })
    }

    static let podList =
        #"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"100"},"items":[{"metadata":{"name":"web-1","namespace":"default","resourceVersion":"99"},"spec":{"replicas":3}}]}"#

    static let watchEvents = [
        #"{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","resourceVersion":"101"}}}"#,
        #"{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","resourceVersion":"102","labels":{"app":"wëb"}}}}"#,
        #"{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"103"}}}"#,
        #"{"type":"DELETED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","resourceVersion":"104"}}}"#,
    ]

    static func respond(to request: Request, token: String?, log: Log) async throws -> Response {
        let bodyBuffer = try await request.body.collect(upTo: 1 << 20)
        let authorization = request.headers[.authorization]
        log.append(
            Recorded(
                method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
                contentType: request.headers[.contentType], authorization: authorization,
                body: String(buffer: bodyBuffer)))
        if let token, authorization != "Bearer \(token)" {
            return status(401, reason: "Unauthorized", message: "Unauthorized")
        }
        let path = request.uri.path
        let query = request.uri.queryParameters
        switch path {
        case "/version":
            return json(.ok, #"{"major":"1","minor":"31","gitVersion":"v1.31.0-test","platform":"linux/amd64"}"#)
        case "/api/v1/namespaces/default/pods" where query["watch"] == "true":
            return chunked(watchEvents.joined(separator: "\n") + "\n", pieces: [7, 1, 30, 64, 3])
        case "/api/v1/namespaces/old/pods" where query["watch"] == "true":
            let gone =
                #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (100)","reason":"Expired","code":410}}"#
            return chunked(watchEvents[0] + "\n" + gone + "\n", pieces: [50])
        case "/api/v1/namespaces/default/pods":
            return json(.ok, podList)
        case "/api/v1/namespaces/missing/pods", "/api/v1/namespaces/missing/pods/web-1":
            return status(
                404, reason: "NotFound", message: "namespaces \\\"missing\\\" not found", kind: "namespaces",
                name: "missing")
        case "/api/v1/namespaces/default/pods/nope", "/api/v1/namespaces/default/pods/nope/exec":
            return status(404, reason: "NotFound", message: "pods \\\"nope\\\" not found", kind: "pods", name: "nope")
        case "/api/v1/namespaces/default/pods/web-1/log":
            let lines = (1...5).map { "line \($0) of the log" }.joined(separator: "\n") + "\npartial"
            return chunked(lines, pieces: [4, 9], contentType: "text/plain")
        case "/api/v1":
            return json(
                .ok,
                #"{"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["po"]},{"name":"pods/log","singularName":"","namespaced":true,"kind":"Pod","verbs":["get"]},{"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["get","list"],"shortNames":["ns"]}]}"#
            )
        case "/apis/apps/v1":
            return json(
                .ok,
                #"{"kind":"APIResourceList","groupVersion":"apps/v1","resources":[{"name":"deployments","singularName":"deployment","namespaced":true,"kind":"Deployment","verbs":["get","list"],"shortNames":["deploy"]}]}"#
            )
        case _ where path.hasPrefix("/apis/") && path.split(separator: "/").count == 3:
            return status(404, reason: "NotFound", message: "the server could not find the requested resource")
        case "/proxy-html":
            return Response(
                status: .badGateway, body: .init(byteBuffer: ByteBuffer(string: "<html>bad gateway</html>")))
        default:
            let echo = #"{"kind":"Echo","method":"\#(request.method.rawValue)","path":"\#(path)"}"#
            return json(.ok, echo)
        }
    }
}
