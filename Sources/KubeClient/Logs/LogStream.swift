import AsyncHTTPClient
import NIOCore

/// A container log as it arrives: byte chunks in ``LogStream``, or whole lines through ``lines(maxLineBytes:)``.
///
/// With `follow` it ends when the container stops or the connection closes. Dropping the iterator closes the request.
public struct LogStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    let body: HTTPClientResponse.Body

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: body.makeAsyncIterator())
    }

    /// The log split into lines (without the newline); a line longer than `maxLineBytes` is
    /// delivered in pieces of that size.
    public func lines(maxLineBytes: Int = 64 << 10) -> LogLines {
        LogLines(chunks: self, maxLineBytes: maxLineBytes)
    }

    /// Produces the next chunk.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var body: HTTPClientResponse.Body.AsyncIterator

        public mutating func next() async throws -> [UInt8]? {
            do {
                return try await body.next().map { Array($0.readableBytesView) }
            } catch {
                throw KubeClient.transportError(error)
            }
        }
    }
}

/// The lines of a ``LogStream``, decoded as UTF-8 (invalid bytes replaced).
public struct LogLines: AsyncSequence, Sendable {
    public typealias Element = String

    let chunks: LogStream
    let maxLineBytes: Int

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: chunks.makeAsyncIterator(), maxLineBytes: Swift.max(1, maxLineBytes))
    }

    /// Produces the next line.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: LogStream.AsyncIterator
        let maxLineBytes: Int
        var buffer: [UInt8] = []
        var scanned = 0
        var finished = false

        public mutating func next() async throws -> String? {
            while true {
                if let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[..<newline], as: UTF8.self)
                    buffer.removeSubrange(...newline)
                    scanned = 0
                    return line
                }
                if buffer.count >= maxLineBytes {
                    let line = String(decoding: buffer[..<maxLineBytes], as: UTF8.self)
                    buffer.removeSubrange(..<maxLineBytes)
                    scanned = 0
                    return line
                }
                scanned = buffer.count
                if finished {
                    guard !buffer.isEmpty else { return nil }
                    defer {
                        buffer = []
                        scanned = 0
                    }
                    return String(decoding: buffer, as: UTF8.self)
                }
                if let chunk = try await chunks.next() {
                    buffer.append(contentsOf: chunk)
                } else {
                    finished = true
                }
            }
        }
    }
}
