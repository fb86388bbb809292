import Prometheus
import Synchronization

/// The items waiting for one subscriber of a shared watch.
///
/// The shared watch never waits for a subscriber: it puts items here and moves on. A subscriber
/// that keeps up sees every change. One that lags (more than `conflateAfter` items waiting) gets
/// changes of the same object merged into the one already waiting — the latest state always
/// arrives, intermediate ones may not. One whose waiting items still exceed `limit` is
/// overflowed: it is told so and must be dropped (its socket closes with 4008, and its client
/// resumes).
final class WatchMailbox: Sendable {
    private struct State {
        var items: [WatchItem?] = []
        var head = 0
        /// Position of the waiting change of each object, for conflation.
        var pending: [String: Int] = [:]
        var overflowed = false
        var closed = false
        var consumer: CheckedContinuation<WatchItem?, Never>?

        var count: Int { items.count - head }
    }

    /// Items waiting beyond which changes to one object are merged.
    let conflateAfter: Int
    /// Items waiting beyond which the subscriber is overflowed.
    let limit: Int
    private let state = Mutex(State())
    /// Counts the changes merged into (or cancelled against) a waiting one.
    private let conflations: Counter?

    init(conflateAfter: Int, limit: Int, conflations: Counter? = nil) {
        self.conflateAfter = conflateAfter
        self.limit = max(limit, conflateAfter + 1)
        self.conflations = conflations
    }

    /// Whether the subscriber fell too far behind.
    var isOverflowed: Bool { state.withLock { $0.overflowed } }

    /// Items waiting.
    var count: Int { state.withLock { $0.count } }

    /// Room reserved for waiting items.
    var reservedCapacity: Int { state.withLock { $0.items.capacity } }

    /// Adds an item for the subscriber, merging it into a waiting change of the same object when
    /// the subscriber lags.
    func put(_ item: WatchItem) {
        let consumer: CheckedContinuation<WatchItem?, Never>? = state.withLock { state in
            guard !state.closed, !state.overflowed else { return nil }
            if let consumer = state.consumer {
                state.consumer = nil
                return consumer
            }
            if case .change(let change) = item, state.count >= conflateAfter, let position = state.pending[change.key],
                case .change(let waiting)? = state.items[position]
            {
                switch Self.merge(waiting, change) {
                case .replace(let merged):
                    state.items[position] = .change(merged)
                    conflations?.increment()
                    return nil
                case .cancel:
                    state.items[position] = nil
                    state.pending[change.key] = nil
                    conflations?.increment()
                    return nil
                case .keepBoth:
                    break
                }
            }
            guard state.count < limit else {
                state.overflowed = true
                state.items.removeAll()
                state.head = 0
                state.pending.removeAll()
                return nil
            }
            if case .change(let change) = item { state.pending[change.key] = state.items.count }
            if case .start = item { state.pending.removeAll() }
            state.items.append(item)
            return nil
        }
        consumer?.resume(returning: item)
    }

    /// Drops everything waiting and puts `item` first (a fresh snapshot makes them moot).
    func replaceAll(with item: WatchItem) {
        let consumer: CheckedContinuation<WatchItem?, Never>? = state.withLock { state in
            guard !state.closed, !state.overflowed else { return nil }
            state.items.removeAll()
            state.head = 0
            state.pending.removeAll()
            if let consumer = state.consumer {
                state.consumer = nil
                return consumer
            }
            state.items.append(item)
            return nil
        }
        consumer?.resume(returning: item)
    }

    /// The next item; `nil` once closed or overflowed (check ``isOverflowed``).
    func next() async -> WatchItem? {
        if let ready = take() { return ready }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready: WatchItem?? = state.withLock { state in
                    if let item = Self.pop(&state) { return .some(item) }
                    if state.closed || state.overflowed || Task.isCancelled { return .some(nil) }
                    state.consumer = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            close()
        }
    }

    /// Ends the mailbox: a waiting ``next()`` returns `nil`.
    func close() {
        let consumer = state.withLock { state in
            state.closed = true
            defer { state.consumer = nil }
            return state.consumer
        }
        consumer?.resume(returning: nil)
    }

    private func take() -> WatchItem?? {
        state.withLock { state in
            if let item = Self.pop(&state) { return .some(item) }
            return state.closed || state.overflowed ? .some(nil) : .none
        }
    }

    /// Room for items a drained mailbox keeps; more is released.
    static let keptCapacity = 64

    private static func pop(_ state: inout State) -> WatchItem? {
        while state.head < state.items.count {
            let item = state.items[state.head]
            state.items[state.head] = nil
            state.head += 1
            if case .change(let change)? = item, state.pending[change.key] == state.head - 1 {
                state.pending[change.key] = nil
            }
            if state.head == state.items.count {
                // Drained: a burst's room (a relist, a lagging moment) is given back, so that a
                // mailbox does not hold its largest backlog for the rest of its life.
                let keep = state.items.capacity <= Self.keptCapacity
                state.items.removeAll(keepingCapacity: keep)
                state.head = 0
                state.pending.removeAll(keepingCapacity: keep)
            } else if state.head > 1024, state.head * 2 > state.items.count {
                let shift = state.head
                state.items.removeFirst(shift)
                state.head = 0
                state.pending = state.pending.mapValues { $0 - shift }
            }
            if let item { return item }
        }
        return nil
    }

    private enum Merge {
        case replace(WatchChange)
        case cancel
        case keepBoth
    }

    /// How a new change folds into one still waiting for the same object.
    private static func merge(_ waiting: WatchChange, _ new: WatchChange) -> Merge {
        switch (waiting.kind, new.kind) {
        case (.added, .modified): .replace(WatchChange(.added, new.object))
        case (.added, .deleted): .cancel  // the subscriber never saw it
        case (.modified, .modified), (.modified, .deleted): .replace(new)
        default: .keepBoth  // a deletion followed by a re-creation stays two changes
        }
    }
}
