import Foundation

/// Deterministic container logs: line `i` of a container is always the same text at the same time,
/// so tail, since and follow agree with each other across requests.
struct LogGenerator: Sendable {
    /// Lines per second while a container runs.
    let linesPerSecond: Double

    struct Window {
        let start: Date
        let end: Date?
        let seed: UInt64
        let image: String
    }

    static func seed(_ text: String) -> UInt64 {
        var value: UInt64 = 14_695_981_039_346_656_037
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 1_099_511_628_211
        }
        return value
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    func time(of index: Int, in window: Window) -> Date {
        window.start.addingTimeInterval(Double(index) / linesPerSecond)
    }

    /// Index range of lines written up to `now`.
    func available(_ window: Window, now: Date) -> Range<Int> {
        let end = min(now, window.end ?? now)
        let elapsed = end.timeIntervalSince(window.start)
        guard elapsed >= 0 else { return 0..<0 }
        return 0..<(Int((elapsed * linesPerSecond).rounded(.down)) + 1)
    }

    /// The text of line `index`.
    func line(_ index: Int, in window: Window) -> String {
        let random = Self.mix(window.seed &+ UInt64(index))
        let timestamp = time(of: index, in: window)
        if index == 0 { return startupLine(window) }
        if window.image.contains("nginx") {
            let ips = ["10.244.0.1", "10.244.1.7", "10.244.2.12", "192.168.1.20", "172.17.0.1"]
            let paths = ["/", "/index.html", "/healthz", "/api/v1/items", "/static/app.js", "/favicon.ico", "/login"]
            let codes = [200, 200, 200, 200, 304, 404, 200, 500]
            let agents = ["curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64)", "kube-probe/1.32", "Go-http-client/1.1"]
            let ip = ips[Int(random % UInt64(ips.count))]
            let path = paths[Int((random >> 8) % UInt64(paths.count))]
            let code = codes[Int((random >> 16) % UInt64(codes.count))]
            let size = Int((random >> 24) % 4000) + 100
            let agent = agents[Int((random >> 40) % UInt64(agents.count))]
            return "\(ip) - - [\(Self.commonLogTime(timestamp))] \"GET \(path) HTTP/1.1\" \(code) \(size) \"-\" \"\(agent)\""
        }
        let levels = ["info", "info", "info", "debug", "warn", "info", "error"]
        let messages = ["handled request", "cache refreshed", "connected to database", "processed batch", "slow query", "request failed"]
        let level = levels[Int(random % UInt64(levels.count))]
        let message = messages[Int((random >> 8) % UInt64(messages.count))]
        return "level=\(level) msg=\"\(message)\" id=\(index) duration=\((random >> 20) % 250)ms"
    }

    private func startupLine(_ window: Window) -> String {
        window.image.contains("nginx")
            ? "/docker-entrypoint.sh: Configuration complete; ready for start up"
            : "level=info msg=\"starting \(window.image)\""
    }

    static func commonLogTime(_ date: Date) -> String {
        let text = KubeTime.format(date)  // 2026-01-02T03:04:05Z
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let parts = Array(text)
        let month = Int(String(parts[5...6])) ?? 1
        return "\(String(parts[8...9]))/\(months[month - 1])/\(String(parts[0...3])):\(String(parts[11...18])) +0000"
    }
}
