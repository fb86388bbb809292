import Foundation

/// How far a container's log has been delivered, so that after a broken connection the log
/// can be asked again from the last line's time and exactly the lines already delivered are
/// dropped: no line lost, none doubled.
///
/// The apiserver's `sinceTime` has whole seconds, and several lines may carry the same
/// timestamp. So a resumed connection asks from the whole second of the last delivered line,
/// and the cursor drops every line before that line's timestamp, then as many lines *at* that
/// timestamp as were delivered before — the next one at the same timestamp is new.
///
/// Lines are assumed in timestamp order within one container (the kubelet writes them so); a
/// line older than the last one still goes through outside a resumption, and does not move
/// the cursor back.
struct LogResumeCursor: Sendable {
    /// Timestamp of the latest line delivered.
    private(set) var last: LogTimestamp?
    /// How many lines delivered so far carry exactly ``last``.
    private(set) var deliveredAtLast = 0
    /// While resuming: lines at ``last`` still to drop before new lines begin.
    private var skipping: (timestamp: LogTimestamp, remaining: Int)?

    /// `sinceTime` for a resumed connection: the whole second of the last line, `nil` before any.
    var resumeTime: Date? { last?.wholeSecond }

    /// Starts a connection that asks for the log from ``resumeTime``: what was delivered is
    /// dropped again as it comes.
    mutating func beginResumption() {
        skipping = last.map { ($0, deliveredAtLast) }
    }

    /// Whether a line with `timestamp` is new; a new line counts as delivered.
    mutating func admit(_ timestamp: LogTimestamp) -> Bool {
        if let skip = skipping {
            if timestamp < skip.timestamp { return false }
            if timestamp == skip.timestamp, skip.remaining > 0 {
                skipping = (skip.timestamp, skip.remaining - 1)
                return false
            }
            skipping = nil
        }
        if let last, timestamp < last { return true }
        if timestamp == last {
            deliveredAtLast += 1
        } else {
            last = timestamp
            deliveredAtLast = 1
        }
        return true
    }
}
