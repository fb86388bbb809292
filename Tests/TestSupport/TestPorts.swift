import Synchronization

/// Ports for test servers that must keep theirs while they are down (a restart, an outage):
/// below Linux's ephemeral range (32768–60999), so that no parallel test's `bind` to port 0 and
/// no outgoing connection can take one meanwhile.
public enum TestPorts {
    private static let range = 20_000..<32_000
    /// The next port to hand out, from a random start (so that two test processes at once rarely
    /// meet) then one after another: within a process no two servers get the same port. A port
    /// picked at random for each server made collisions likely (dozens of simulators alive at once
    /// in 12,000 ports) and a collision cost the second server 10 s of bind retries, then its test.
    private static let cursor = Atomic<Int>(Int.random(in: 0..<12_000))

    /// A port between 20000 and 32000 that no other caller in this process got before it (until
    /// all 12,000 have been handed out); a server started on a port taken by another process
    /// retries its bind.
    public static func next() -> Int {
        let step = cursor.wrappingAdd(1, ordering: .relaxed).oldValue
        return range.lowerBound + step % range.count
    }
}
