/// Ports for test servers that must keep theirs while they are down (a restart, an outage):
/// below Linux's ephemeral range (32768–60999), so that no parallel test's `bind` to port 0 and
/// no outgoing connection can take one meanwhile.
public enum TestPorts {
    /// A port between 20000 and 32000; two tests picking the same one is rare, and a server
    /// started on a taken port retries its bind.
    public static func next() -> Int { Int.random(in: 20_000..<32_000) }
}
