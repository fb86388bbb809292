/// The rules of a merged log: lines of several container logs in, one sequence out, in time order.
///
/// Each source (a container log) has a bounded queue. The earliest waiting line goes out when
/// nothing earlier can still come: either every source that may still write has a line waiting,
/// or the line arrived `window` ago — lines written before it by other containers have arrived
/// by then, give or take the window. While a source has not connected yet (for at most
/// `primingTimeout` after it was added) the window rule does not apply, so that its backlog is
/// merged in time order with the others: at the start, and when a pod joins a followed
/// workload later. Equal times keep source order.
///
/// Pure: the caller passes the time, carries out the actions, and wakes the waiting sides
/// (see ``LogMerger``).
struct LogMergeStateMachine: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// Limits and timing; every field has a default.
    struct Configuration: Sendable {
        /// How long a live line may wait for earlier lines of other logs.
        var window: Duration = .milliseconds(100)
        /// Lines one source may hold unread before its producer must wait...
        var maxLines = 256
        /// ...and bytes.
        var maxBytes = 1 << 20
        /// Longest wait for every initial source to connect before lines go out anyway.
        var primingTimeout: Duration = .seconds(5)
    }

    /// What the reader does next.
    enum ReadAction: Sendable {
        /// Deliver this line (it came from `source`, which may now have room).
        case emit(LogLine, source: Int)
        /// Wait for a change, or until the instant when given.
        case wait(until: Instant?)
        /// The merged log is over.
        case finished
        /// Every source ended and one of them failed for good.
        case failed(APIError)
    }

    /// What a producer does after putting a line.
    enum PushResult: Sendable, Equatable {
        case accepted
        /// Its queue is full: wait for room before putting the next line.
        case full
        /// The reader is gone: stop.
        case closed
    }

    private struct Entry: Sendable {
        let line: LogLine
        let arrival: Instant
    }

    private struct Source: Sendable {
        var entries: [Entry] = []
        var head = 0
        var bytes = 0
        var connected: Bool
        var finished = false
        /// When it was added; it is waited for until `primingTimeout` after that.
        let added: Instant

        var count: Int { entries.count - head }
        var first: Entry? { head < entries.count ? entries[head] : nil }

        mutating func removeFirst() -> Entry {
            let entry = entries[head]
            head += 1
            bytes -= entry.line.byteCount
            if head >= 64, head * 2 >= entries.count {
                entries.removeFirst(head)
                head = 0
            }
            return entry
        }
    }

    let configuration: Configuration
    private var sources: [Source]
    private var sealed: Bool
    private var closed = false
    private var failure: APIError?
    /// Since when every source has connected, finished or been given up on; `nil` while one is
    /// still awaited.
    private var primedAt: Instant?

    /// A merge of `sources` logs. Unless `sealed`, more sources may be added and the merged log
    /// does not end when the present ones do.
    init(configuration: Configuration, sources: Int, sealed: Bool, now: Instant) {
        self.configuration = configuration
        self.sources = Array(repeating: Source(connected: false, added: now), count: sources)
        self.sealed = sealed
    }

    /// Lines waiting to be read, across all sources.
    var pendingLines: Int { sources.reduce(0) { $0 + $1.count } }

    /// Whether the reader went away.
    var isClosed: Bool { closed }

    /// Adds a source (a pod that appeared later); returns its index. Until it connects, live
    /// lines of the others wait for its backlog.
    mutating func addSource(now: Instant) -> Int {
        sources.append(Source(connected: false, added: now))
        primedAt = nil
        return sources.count - 1
    }

    /// No more sources will be added: the merged log ends when these do.
    mutating func seal() { sealed = true }

    /// `source` has its upstream response: its backlog is arriving.
    mutating func connected(_ source: Int) { sources[source].connected = true }

    /// Queues a line of `source`.
    mutating func push(_ line: LogLine, from source: Int, now: Instant) -> PushResult {
        guard !closed, !sources[source].finished else { return .closed }
        sources[source].connected = true
        sources[source].entries.append(Entry(line: line, arrival: now))
        sources[source].bytes += line.byteCount
        return hasRoom(source) ? .accepted : .full
    }

    /// Whether `source` may put another line (always when closed: the producer then learns it).
    func hasRoom(_ source: Int) -> Bool {
        closed || (sources[source].count < configuration.maxLines && sources[source].bytes < configuration.maxBytes)
    }

    /// `source` will write no more; its waiting lines still go out. The first `failure` is
    /// reported when every source has ended.
    mutating func finish(_ source: Int, failure: APIError?) {
        sources[source].finished = true
        if self.failure == nil { self.failure = failure }
    }

    /// The reader went away: drop everything.
    mutating func close() {
        closed = true
        for index in sources.indices {
            sources[index].entries = []
            sources[index].head = 0
            sources[index].bytes = 0
        }
    }

    /// What the reader does now.
    mutating func next(now: Instant) -> ReadAction {
        if closed { return .finished }
        // The moment the last awaited source would be given up on, if one is still awaited.
        let timeout = configuration.primingTimeout
        let awaited = sources.filter { !$0.connected && !$0.finished }.map { $0.added + timeout }.filter { now < $0 }.min()
        if primedAt == nil, awaited == nil { primedAt = now }
        var best: Int?
        var complete = true
        for index in sources.indices {
            if let entry = sources[index].first {
                if best == nil || entry.line.timestamp < sources[best!].first!.line.timestamp { best = index }
            } else if !sources[index].finished {
                complete = false
            }
        }
        guard let best, let entry = sources[best].first else {
            if sealed, sources.allSatisfy(\.finished) { return failure.map { .failed($0) } ?? .finished }
            return .wait(until: primedAt == nil ? awaited : nil)
        }
        if complete { return .emit(sources[best].removeFirst().line, source: best) }
        guard let primedAt else { return .wait(until: awaited) }
        let due = max(entry.arrival, primedAt) + configuration.window
        if now >= due { return .emit(sources[best].removeFirst().line, source: best) }
        return .wait(until: due)
    }
}
