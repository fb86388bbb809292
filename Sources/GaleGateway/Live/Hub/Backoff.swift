/// Reconnection delays the way client-go's reflector backs off: 0.8 s doubling up to 30 s, with
/// jitter so that many watches of a restarted apiserver do not return in lockstep, and a reset
/// once a connection has stayed healthy for a while.
struct Backoff: Sendable {
    var initial: Duration = .milliseconds(800)
    var maximum: Duration = .seconds(30)
    /// Extra random delay, as a fraction of the delay (0.0 to 1.0).
    var jitter: Double = 1.0
    /// A connection that lasted this long resets the delay.
    var resetAfter: Duration = .seconds(60)
    /// Consecutive failures since the last reset.
    private(set) var failures = 0
    private var current: Duration?

    init() {}

    init(initial: Duration, maximum: Duration, jitter: Double = 1.0, resetAfter: Duration = .seconds(60)) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
        self.resetAfter = resetAfter
    }

    /// The delay before the next attempt.
    mutating func next() -> Duration {
        failures += 1
        let base = current.map { min($0 * 2, maximum) } ?? initial
        current = base
        let extra = base * Double.random(in: 0...max(0, jitter))
        return min(base + extra, maximum)
    }

    /// Called when a connection ends after having worked for `healthy`.
    mutating func succeeded(after healthy: Duration) {
        if healthy >= resetAfter { reset() }
    }

    mutating func reset() {
        failures = 0
        current = nil
    }
}
