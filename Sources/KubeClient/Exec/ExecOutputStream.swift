import Foundation

/// The output of an ``ExecSession``: stdout and stderr chunks in arrival order.
///
/// Backpressure reaches the container: the connection reads a new frame only while fewer than
/// `window` chunks wait here unread, so a slow reader stops TCP reads and the apiserver (and the
/// command) slow down instead of memory growing.
public struct ExecOutputStream: AsyncSequence, Sendable {
    public typealias Element = ExecSession.Output

    let stream: AsyncThrowingStream<ExecSession.Output, any Error>
    let gate: ExecFlowGate

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), gate: gate)
    }

    /// Produces the next chunk and lets the connection read one more frame.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<ExecSession.Output, any Error>.AsyncIterator
        let gate: ExecFlowGate

        public mutating func next() async throws -> ExecSession.Output? {
            let chunk = try await base.next()
            if chunk != nil { gate.release() }
            return chunk
        }
    }
}
