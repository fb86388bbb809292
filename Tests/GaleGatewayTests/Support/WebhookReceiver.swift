import Foundation
import GaleJSON
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A local HTTP server that takes webhook posts at `/hook`, for alert and automation tests:
/// records each body with the time it came, and answers 500 to the first `failures` posts.
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable {
        var body: JSONValue
        var at: ContinuousClock.Instant
    }

    private let received = Mutex<[Delivery]>([])
    private let failuresLeft: Mutex<Int>

    init(failures: Int = 0) {
        failuresLeft = Mutex(failures)
    }

    var deliveries: [Delivery] { received.withLock { $0 } }

    /// Runs `body` with the receiver listening; its argument is the webhook URL.
    func run<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let value = try JSONValue(parsing: Array(bytes.readableBytesView))
            self.received.withLock { $0.append(Delivery(body: value, at: .now)) }
            let fail = self.failuresLeft.withLock { left in
                defer { left = max(0, left - 1) }
                return left > 0
            }
            return fail ? .internalServerError : .ok
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: Logger(label: "webhook-receiver"))
        let group = ServiceGroup(configuration: .init(services: [application], logger: Logger(label: "webhook-receiver")))
        let server = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestFailure("webhook receiver did not start") }
        do {
            let result = try await body("http://127.0.0.1:\(port)/hook?token=webhook-secret")
            await group.triggerGracefulShutdown()
            _ = await server.result
            return result
        } catch {
            await group.triggerGracefulShutdown()
            _ = await server.result
            throw error
        }
    }
}
