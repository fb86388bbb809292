import GaleProtocol
import KubeClient
import NIOCore

/// The body of an `exec` channel: output as binary stdout/stderr stream frames (read upstream
/// only as fast as the socket takes them), client stdin/resize/close in order, and `exited`
/// with the exit code when the process ends.
struct ExecChannel: Sendable {
    let bridge: ExecBridge

    func run(_ context: ChannelContext) async -> ChannelEnd {
        let (inputs, continuation) = AsyncStream.makeStream(of: ChannelInput.self)
        context.onInput { continuation.yield($0) }
        // One task applies input in arrival order; each write returns once it is upstream.
        let writer = Task { [bridge] in
            for await input in inputs {
                do {
                    switch input {
                    case .stdin(let buffer): try await bridge.stdin(Array(buffer.readableBytesView))
                    case .resize(let cols, let rows): try await bridge.resize(cols: cols, rows: rows)
                    case .closeStream(0): try await bridge.closeStdin()
                    case .closeStream, .resync: break
                    }
                } catch {
                    break  // the upstream is gone; the pump reports how
                }
            }
        }
        defer {
            continuation.finish()
            writer.cancel()
        }
        do {
            let ending = try await withTaskCancellationHandler {
                try await bridge.pump { stream, bytes in await context.binary(stream: stream, bytes) }
            } onCancel: {
                Task { await bridge.close() }
            }
            switch ending {
            case .exited(let status):
                context.send(.exited(channel: context.channel, code: status.code))
                return .finished(reason: "exited")
            case .idle:
                return .finished(reason: "closed after the idle timeout")
            case .closed:
                return .cancelled
            }
        } catch let error as KubeError {
            return .failed(APIError(error, verb: .read))
        } catch {
            return .failed(APIError(.clusterUnreachable, "the exec connection failed: \(APIError.reason(of: error))"))
        }
    }
}
