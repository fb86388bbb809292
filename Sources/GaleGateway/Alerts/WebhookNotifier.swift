import AsyncHTTPClient
import Foundation
import GaleJSON
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Posts alert notifications to their rules' webhooks, off the evaluation path: each
/// notification is queued (a bounded queue), then posted with retries and exponential backoff
/// until a 2xx answer or the last attempt. Redirects are never followed; a response is read up
/// to a bounded size; only the webhook's scheme, host and path are ever logged.
final class WebhookNotifier: Service {
    struct Notification: Sendable {
        var url: URL
        var payload: JSONValue
    }

    let configuration: AlertConfiguration
    private let logger: Logger
    private let queue: AsyncStream<Notification>
    private let continuation: AsyncStream<Notification>.Continuation
    private let client: HTTPClient

    init(configuration: AlertConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        (queue, continuation) = AsyncStream.makeStream(
            of: Notification.self, bufferingPolicy: .bufferingOldest(configuration.maxQueuedNotifications))
        var clientConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .init(configuration.webhookTimeout), read: .init(configuration.webhookTimeout)))
        clientConfiguration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
    }

    /// Queues a notification; dropped (and logged) when the queue is full.
    func enqueue(_ payload: JSONValue, to url: URL) {
        if case .dropped = continuation.yield(Notification(url: url, payload: payload)) {
            logger.warning(
                "alert notification dropped: too many waiting", metadata: ["webhook": "\(WebhookTarget.redacted(url))"])
        }
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { [continuation] in
                // Graceful shutdown ends the queue; notifications already taken finish their attempts.
                await withGracefulShutdownHandler {
                    await withTaskCancellationHandler {
                        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                    } onCancel: {
                        continuation.finish()
                    }
                } onGracefulShutdown: {
                    continuation.finish()
                }
            }
            for await notification in queue {
                group.addTask { await self.deliver(notification) }
            }
            group.cancelAll()
        }
        try? await client.shutdown()
    }

    /// Posts one notification, retrying with backoff; returns whether a 2xx answer came.
    @discardableResult
    func deliver(_ notification: Notification) async -> Bool {
        var backoff = configuration.webhookInitialBackoff
        let target = WebhookTarget.redacted(notification.url)
        for attempt in 1...configuration.webhookAttempts {
            if attempt > 1 {
                do { try await Task.sleep(for: backoff) } catch { return false }
                backoff = min(backoff * 2, configuration.webhookMaxBackoff)
            }
            let outcome = await post(notification)
            if case .success = outcome { return true }
            logger.notice(
                "alert webhook failed",
                metadata: ["webhook": "\(target)", "attempt": "\(attempt)", "outcome": "\(outcome.description)"])
        }
        logger.warning("alert webhook gave up", metadata: ["webhook": "\(target)"])
        return false
    }

    private enum Outcome: CustomStringConvertible {
        case success
        case status(UInt)
        case failed(String)

        var description: String {
            switch self {
            case .success: "ok"
            case .status(let code): "HTTP \(code)"
            case .failed(let reason): reason
            }
        }
    }

    private func post(_ notification: Notification) async -> Outcome {
        var request = HTTPClientRequest(url: notification.url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "KubeGale-Realtime")
        request.body = .bytes(ByteBuffer(string: notification.payload.jsonString))
        do {
            let response = try await client.execute(request, timeout: .init(configuration.webhookTimeout))
            // Read (and drop) at most the bound; a longer answer is cut short, not an error.
            var read = 0
            for try await part in response.body {
                read += part.readableBytes
                if read >= configuration.webhookMaxResponseBytes { break }
            }
            return (200..<300).contains(response.status.code) ? .success : .status(response.status.code)
        } catch is CancellationError {
            return .failed("cancelled")
        } catch {
            // The error's text may hold the URL; only its kind is kept.
            return .failed(Self.kind(of: error))
        }
    }

    private static func kind(of error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
            "timed out"
        case let error as HTTPClientError where error == .connectTimeout:
            "connect timed out"
        case is HTTPClientError: "request failed"
        default: "connection failed"
        }
    }
}
