import GaleJSON
import GaleProtocol
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// `GET /pods/{name}/logs?follow=true` over HTTP: the container's log as `text/plain`, chunked,
/// one line per log line (its timestamp first with `timestamps=true`), until the log ends or the
/// client goes away. Parameters as the `logs` operation: `cluster_id`, `namespace`, `container`,
/// `tail_lines`, `timestamps`, `previous`.
///
/// The caller is the `logs` operation's: same token, its role (viewer), the cluster in scope.
/// Anything refused before the first byte is the usual JSON envelope with its code. Without
/// `follow` the operation answers as always (one envelope).
struct PodLogFollowRoute: Sendable {
    let dispatcher: OperationDispatcher
    let logs: LogStreams
    /// A followed log holds one of its user's log streams (`--max-log-streams-per-user`), as a
    /// `logs` channel does.
    let quotas: SubjectQuotas
    let errorStatus: ErrorHTTPStatus

    /// Largest write while lines are ready (a backlog goes out in chunks of about this size).
    static let chunkBytes = 32 << 10

    /// The streaming answer when the request follows a pod's log; `nil` for any other request.
    func response(
        method: HTTPRequest.Method, path: String, query: [String: String], principal: Principal, logger: Logger
    ) async -> Response? {
        guard method == .get, path.hasSuffix("/logs"), query["follow"] != nil,
            case .found(let operation, let parameters) = dispatcher.table.resolve(method: method, path: path),
            operation.name == "GET /pods/{name}/logs"
        else { return nil }
        let input = OperationInput(
            principal: principal, pathParameters: parameters, query: query, body: nil, logger: logger)
        guard (try? input.optionalBool("follow")) == true else { return nil }
        let start = ContinuousClock.now
        let response: Response
        var code = 0
        do throws(APIError) {
            try principal.requireRole(operation.role, for: operation.action)
            let (cluster, request) = try Self.request(input)
            let lease: SubjectQuotas.Lease
            switch quotas.acquire(.logStream, subject: principal.subject) {
            case .success(let acquired): lease = acquired
            case .failure(let refusal): throw refusal.apiError
            }
            let subscription: LogSubscription
            do {
                subscription = try await logs.open(cluster: cluster, request: request, principal: principal, logger: logger)
            } catch {
                lease.release()
                throw error
            }
            response = Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody { writer in
                    defer { lease.release() }
                    try await Self.stream(subscription, to: &writer, logger: logger)
                })
        } catch {
            code = error.code.rawValue
            response = APIResponder.response(Envelope(error), errorStatus: errorStatus)
        }
        dispatcher.metrics.recordRequest(
            operation: operation.name, transport: OperationDispatcher.Transport.http.rawValue,
            code: code,
            duration: ContinuousClock.now - start)
        return response
    }

    /// The cluster and the log request of the call, checked as the `logs` operation checks them.
    static func request(_ input: OperationInput) throws(APIError) -> (cluster: String, request: LogRequest) {
        guard let cluster = try input.optionalString("cluster_id") else {
            throw .invalidArgument("missing parameter \"cluster_id\"")
        }
        var request = LogRequest(
            namespace: try SpecialOperations.namespace(input), pods: .named(try input.string("name")))
        if let container = try input.optionalString("container"), !container.isEmpty {
            request.containers = .named(container)
        }
        if let tail = try input.optionalInt("tail_lines") {
            guard tail >= 0, tail <= Int64(Int32.max) else {
                throw .invalidArgument("parameter \"tail_lines\" must not be negative")
            }
            request.tailLines = Int(tail)
        }
        request.timestamps = try input.optionalBool("timestamps") ?? false
        request.previous = try input.optionalBool("previous") ?? false
        request.follow = true
        return (cluster, request)
    }

    /// Writes the log as it comes, batching the lines that are ready into one chunk. A graceful
    /// shutdown of the gateway ends the response cleanly.
    static func stream(_ subscription: LogSubscription, to writer: inout any ResponseBodyWriter, logger: Logger)
        async throws
    {
        let timestamps = subscription.request.timestamps
        let report: @Sendable (UpstreamState, String?) -> Void = { state, reason in
            logger.info("pod log stream upstream \(state.rawValue)", metadata: ["reason": "\(reason ?? "")"])
        }
        try await subscription.run(onState: report) { lines in
            try await withGracefulShutdownHandler {
                var iterator = lines.makeAsyncIterator()
                while let first = try await iterator.next() {
                    var buffer = ByteBuffer()
                    var line: LogLine? = first
                    while let next = line {
                        buffer.writeString(next.rendered(timestamps: timestamps))
                        buffer.writeInteger(UInt8(ascii: "\n"))
                        line = buffer.readableBytes < chunkBytes ? iterator.nextIfReady() : nil
                    }
                    try await writer.write(buffer)
                }
            } onGracefulShutdown: {
                lines.close()
            }
        }
        try await writer.finish(nil)
    }
}
