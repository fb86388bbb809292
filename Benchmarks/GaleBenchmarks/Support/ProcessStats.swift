import Foundation

/// Figures of a process read from `/proc` (Linux).
enum ProcessStats {
    /// Resident set size in KiB (`VmRSS` of `/proc/PID/status`); `nil` when unreadable.
    static func residentKiB(pid: String = "self") -> Int? {
        statusField("VmRSS", pid: pid)
    }

    /// A `kB` field of `/proc/PID/status`.
    static func statusField(_ name: String, pid: String = "self") -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    /// User + system CPU time of another process in nanoseconds (`/proc/PID/stat`, clock ticks).
    static func cpuNanoseconds(pid: String) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3; utime and stime are 14 and 15.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 13, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        let ticks = UInt64(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) * 1_000_000_000 / max(ticks, 1)
    }
}
