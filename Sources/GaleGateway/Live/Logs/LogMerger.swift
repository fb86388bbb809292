import Synchronization

/// Several container logs merged into one ordered ``LogLineSequence``.
///
/// Producers (one ``ContainerLogFollower`` per log) put lines through their ``Input`` and wait
/// while their queue is full; the one reader takes lines in time order (the rules are in
/// ``LogMergeStateMachine``). So the reader's pace is the backpressure of every upstream: a
/// follower that waits does not read its HTTP body, and the connection stops reading from the
/// apiserver once its buffers fill.
final class LogMerger: Sendable {
    private struct State {
        var machine: LogMergeStateMachine
        var reader: CheckedContinuation<Void, Never>?
        /// Something changed while the reader was not waiting: its next wait returns at once.
        var readerSignalled = false
        var producers: [Int: CheckedContinuation<Bool, Never>] = [:]

        /// The waiting reader to resume, or a note for the next wait.
        mutating func takeReader() -> CheckedContinuation<Void, Never>? {
            guard let reader else {
                readerSignalled = true
                return nil
            }
            self.reader = nil
            return reader
        }
    }

    private let state: Mutex<State>

    /// A merge of `sources` logs; unless `sealed`, sources may be added later with ``addSource()``.
    init(configuration: LogMergeStateMachine.Configuration, sources: Int, sealed: Bool) {
        state = Mutex(
            State(
                machine: LogMergeStateMachine(configuration: configuration, sources: sources, sealed: sealed, now: .now)
            ))
    }

    /// The merged lines, for one reader.
    var lines: LogLineSequence { LogLineSequence(merger: self) }

    /// Lines waiting to be read, across all sources.
    var pendingLines: Int { state.withLock { $0.machine.pendingLines } }

    /// Where the producer of source `index` puts its lines.
    func input(_ index: Int) -> Input { Input(merger: self, source: index) }

    /// A new source (a pod that appeared); `nil` when the reader is gone.
    func addSource() -> Input? {
        state.withLock { $0.machine.isClosed ? nil : $0.machine.addSource(now: .now) }.map(input)
    }

    /// No more sources will be added: the merged log ends when the present ones do.
    func seal() { change { $0.seal() } }

    /// The reader is gone: waiting producers are told to stop, queued lines are dropped.
    func close() {
        let (reader, producers) = state.withLock { state in
            state.machine.close()
            defer { state.producers = [:] }
            return (state.takeReader(), Array(state.producers.values))
        }
        reader?.resume()
        for producer in producers { producer.resume(returning: false) }
    }

    /// The side of one source.
    struct Input: Sendable {
        let merger: LogMerger
        let source: Int

        /// The upstream answered: this log's backlog is on its way.
        func connected() { merger.change { $0.connected(source) } }

        /// Puts a line; waits while this source's queue is full. `false` when the reader is gone
        /// or the task is cancelled: stop producing.
        func yield(_ line: LogLine) async -> Bool { await merger.put(line, from: source) }

        /// This log is over (with a failure when it failed for good).
        func finish(failure: APIError? = nil) { merger.change { $0.finish(source, failure: failure) } }
    }

    // MARK: Producers

    private func change(_ body: (inout LogMergeStateMachine) -> Void) {
        let reader = state.withLock { state in
            body(&state.machine)
            return state.takeReader()
        }
        reader?.resume()
    }

    private func put(_ line: LogLine, from source: Int) async -> Bool {
        let (result, reader) = state.withLock { state in
            (state.machine.push(line, from: source, now: .now), state.takeReader())
        }
        reader?.resume()
        switch result {
        case .accepted: return true
        case .closed: return false
        case .full: return await waitForRoom(source)
        }
    }

    private func waitForRoom(_ source: Int) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let answer: Bool? = state.withLock { state in
                    if Task.isCancelled || state.machine.isClosed { return false }
                    if state.machine.hasRoom(source) { return true }
                    state.producers[source] = continuation
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            state.withLock { $0.producers.removeValue(forKey: source) }?.resume(returning: false)
        }
    }

    // MARK: Reader

    /// The next line in time order; `nil` at the end or when the reading task is cancelled.
    /// Throws the ``APIError`` of a log that failed for good, once every log has ended.
    func next() async throws(APIError) -> LogLine? {
        while true {
            switch read() {
            case .emit(let line, _): return line
            case .finished: return nil
            case .failed(let error): throw error
            case .wait(let deadline):
                if Task.isCancelled { return nil }
                await waitForChange(until: deadline)
            }
        }
    }

    /// A line that can go out now without waiting, if any (to batch writes).
    func nextIfReady() -> LogLine? {
        if case .emit(let line, _) = read() { return line }
        return nil
    }

    private func read() -> LogMergeStateMachine.ReadAction {
        let (action, producer) = state.withLock {
            state -> (LogMergeStateMachine.ReadAction, CheckedContinuation<Bool, Never>?) in
            let action = state.machine.next(now: .now)
            guard case .emit(_, let source) = action, state.machine.hasRoom(source) else { return (action, nil) }
            return (action, state.producers.removeValue(forKey: source))
        }
        producer?.resume(returning: true)
        return action
    }

    private func waitForChange(until deadline: ContinuousClock.Instant?) async {
        guard let deadline else { return await waitForSignal() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            group.addTask { await self.waitForSignal() }
            _ = await group.next()
            group.cancelAll()
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if state.readerSignalled || Task.isCancelled {
                        state.readerSignalled = false
                        return true
                    }
                    state.reader = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.reader = nil }
                return state.reader
            }?.resume()
        }
    }
}

/// The lines of a merged log in time order, for one reader (see ``LogMerger``).
///
/// Ends when every log has ended — throwing the ``APIError`` of a log that failed for good, if
/// one did — and returns `nil` when the reading task is cancelled.
struct LogLineSequence: AsyncSequence, Sendable {
    typealias Element = LogLine
    typealias Failure = APIError

    let merger: LogMerger

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(merger: merger) }

    /// Ends the sequence early, from any task: the reader's `next()` returns `nil` and the logs
    /// stop being read (a graceful shutdown, an unsubscribe that wants a clean end).
    func close() { merger.close() }

    /// Reads the merged log.
    struct AsyncIterator: AsyncIteratorProtocol {
        let merger: LogMerger

        mutating func next() async throws(APIError) -> LogLine? { try await merger.next() }

        mutating func next(isolation actor: isolated (any Actor)?) async throws(APIError) -> LogLine? {
            try await merger.next()
        }

        /// A line that can go out now without waiting, if any (to batch writes).
        mutating func nextIfReady() -> LogLine? { merger.nextIfReady() }
    }
}
