import Synchronization

/// Bytes flowing into a command's stdin: pushed by the WebSocket reader, read by the shell; `close()` is EOF.
final class InputPipe: Sendable {
    private struct State {
        var buffer: [UInt8] = []
        var closed = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    init(closedWith bytes: [UInt8]? = nil) {
        if let bytes {
            state.withLock {
                $0.buffer = bytes
                $0.closed = true
            }
        }
    }

    func push(_ bytes: [UInt8]) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.buffer += bytes
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func close() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// The next available bytes, or `nil` at end of input.
    func read() async -> [UInt8]? {
        while true {
            let (data, done) = state.withLock { state -> ([UInt8]?, Bool) in
                if !state.buffer.isEmpty {
                    defer { state.buffer.removeAll() }
                    return (state.buffer, false)
                }
                return (nil, state.closed)
            }
            if let data { return data }
            if done { return nil }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.buffer.isEmpty || state.closed { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Everything until end of input.
    func readAll() async -> [UInt8] {
        var all: [UInt8] = []
        while let chunk = await read() { all += chunk }
        return all
    }
}

/// Terminal size last reported on the resize stream.
final class TerminalSize: Sendable {
    private let size = Mutex((rows: 24, columns: 80))

    func set(rows: Int, columns: Int) { size.withLock { $0 = (rows, columns) } }
    var rows: Int { size.withLock { $0.rows } }
    var columns: Int { size.withLock { $0.columns } }
}
