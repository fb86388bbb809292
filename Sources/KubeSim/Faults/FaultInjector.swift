import Foundation
import GaleJSON
import Hummingbird
import NIOCore
import Synchronization

/// Fault injection for reliability tests: failing requests, latency, dropped and expired watches,
/// cut log streams.
///
/// Also reachable over HTTP under `/_kubesim/` (with the bearer token):
/// `POST /_kubesim/faults/drop-watches`, `POST /_kubesim/faults/expire-watches?count=N`,
/// `POST /_kubesim/faults/compact`, `POST /_kubesim/faults/fail?count=N&code=500`,
/// `POST /_kubesim/faults/latency?ms=N`, `POST /_kubesim/faults/drop-log-streams`,
/// `POST /_kubesim/faults/clear`, `GET /_kubesim/watches`, `GET /_kubesim/log-streams`.
public final class FaultInjector: Sendable {
    struct State {
        var failures: [KubeStatusError] = []
        var failureRate: Double = 0
        var latency: Duration?
    }

    private let state = Mutex(State())
    let store: ObjectStore
    /// Open log follow streams, for ``dropLogStreams()`` and ``openLogStreamCount``.
    let logFollows = LiveStreams()

    init(store: ObjectStore) { self.store = store }

    /// The next `count` requests fail with `code` (500, 503, 429, ...) as a `Status`.
    public func failNextRequests(_ count: Int, code: Int = 500) {
        let reason =
            switch code {
            case 429: "TooManyRequests"
            case 503: "ServiceUnavailable"
            case 504: "Timeout"
            default: "InternalError"
            }
        let error = KubeStatusError(code: code, reason: reason, message: "kubesim injected fault (\(code))")
        state.withLock { $0.failures.append(contentsOf: Array(repeating: error, count: count)) }
    }

    /// Injected failures not yet answered to a request.
    public var pendingFailures: Int { state.withLock { $0.failures.count } }

    /// A fraction (0...1) of requests fail with 500.
    public func setFailureRate(_ rate: Double) {
        state.withLock { $0.failureRate = max(0, min(1, rate)) }
    }

    /// Adds a delay before every request is answered (`nil` removes it).
    public func setLatency(_ latency: Duration?) {
        state.withLock { $0.latency = latency }
    }

    /// Removes every injected request failure and the latency.
    public func clear() {
        state.withLock { $0 = State() }
    }

    /// Ends every open watch now.
    public func dropAllWatches() { store.dropAllWatches() }

    /// The next `count` watches that resume from a resourceVersion get 410 Expired.
    public func expireNextWatches(_ count: Int = 1) { store.expireNextWatches(count) }

    /// Forgets the whole history window: every resume from an older resourceVersion gets 410.
    public func compactHistory() { store.compactHistory() }

    /// Open watches, for one resource or all of them.
    public func openWatchCount(_ type: ResourceType? = nil) -> Int { store.openWatchCount(type) }

    /// Cuts every open log follow stream the way a broken connection does: the first half of the
    /// next line goes out, then the connection closes without ending the response. Each stream
    /// is cut at its next tick (within half a second).
    public func dropLogStreams() { logFollows.cancelAll() }

    /// Log follow streams open now (a stream being cut no longer counts).
    public var openLogStreamCount: Int { logFollows.count }

    var latency: Duration? { state.withLock { $0.latency } }

    func takeFailure() -> KubeStatusError? {
        state.withLock { state in
            if !state.failures.isEmpty { return state.failures.removeFirst() }
            if state.failureRate > 0, Double.random(in: 0..<1) < state.failureRate {
                return KubeStatusError(code: 500, reason: "InternalError", message: "kubesim injected fault (rate)")
            }
            return nil
        }
    }

    func handleHTTP(_ request: Request, store: ObjectStore) async throws -> Response {
        let query = QueryParameters(request.uri.query)
        let path = String(request.uri.path.dropFirst("/_kubesim/".count))
        switch (request.method, path) {
        case (.get, "watches"):
            var counts: [String: JSONValue] = [:]
            for type in ResourceCatalog.stored {
                let count = store.openWatchCount(type)
                if count > 0 { counts[type.qualifiedName] = .int(Int64(count)) }
            }
            return APIHandler.json(["total": .int(Int64(store.openWatchCount())), "byResource": .object(counts)])
        case (.get, "log-streams"):
            return APIHandler.json(["open": .int(Int64(openLogStreamCount))])
        case (.post, "faults/drop-watches"): dropAllWatches()
        case (.post, "faults/drop-log-streams"): dropLogStreams()
        case (.post, "faults/expire-watches"): expireNextWatches(query.int("count") ?? 1)
        case (.post, "faults/compact"): compactHistory()
        case (.post, "faults/fail"): failNextRequests(query.int("count") ?? 1, code: query.int("code") ?? 500)
        case (.post, "faults/failure-rate"): setFailureRate(Double(query["rate"] ?? "0") ?? 0)
        case (.post, "faults/latency"): setLatency(query.int("ms").map { .milliseconds($0) })
        case (.post, "faults/clear"): clear()
        default:
            throw KubeStatusError(code: 404, reason: "NotFound", message: "unknown kubesim endpoint \(path)")
        }
        return APIHandler.json(["status": "ok"])
    }
}
