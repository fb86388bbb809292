import AsyncHTTPClient
import NIOCore

/// The events of one watch request, parsed incrementally from the chunked response.
///
/// Ends when the server closes the watch (its `timeoutSeconds`, or a restart); throws
/// ``KubeError`` with kind ``KubeError/Kind/gone`` when the resourceVersion is too old (relist),
/// ``KubeError/Kind/unreachable`` when the connection breaks. Dropping the iterator closes the request.
public struct WatchStream: AsyncSequence, Sendable {
    public typealias Element = WatchEvent

    let body: HTTPClientResponse.Body
    let maxLineBytes: Int

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: body.makeAsyncIterator(), decoder: WatchLineDecoder(maxLineBytes: maxLineBytes))
    }

    /// Produces the next event.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var body: HTTPClientResponse.Body.AsyncIterator
        var decoder: WatchLineDecoder
        var ready: [WatchEvent] = []
        var readyIndex = 0
        var finished = false

        public mutating func next() async throws -> WatchEvent? {
            while true {
                if readyIndex < ready.count {
                    defer { readyIndex += 1 }
                    return ready[readyIndex]
                }
                ready.removeAll(keepingCapacity: true)
                readyIndex = 0
                if finished { return nil }
                let chunk: ByteBuffer?
                do {
                    chunk = try await body.next()
                } catch {
                    throw KubeClient.transportError(error)
                }
                guard let chunk else {
                    finished = true
                    return try decoder.finish()
                }
                ready = try decoder.feed(chunk.readableBytesView)
            }
        }
    }
}
