import Foundation
import GaleJSON

/// Ages and durations written the way `kubectl get` shows them (`45s`, `3m20s`, `7h12m`, `4d2h`, `2y30d`): the
/// rounding rules of apimachinery's `duration.HumanDuration`, so that tables from KubeSim read like a cluster's.
enum HumanDuration {
    /// `interval` seconds as text; up to a second in the future counts as `0s`, more is `<invalid>`.
    static func format(_ interval: TimeInterval) -> String {
        let seconds = Int(interval.rounded(.towardZero))
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 {
            let rest = seconds % 60
            return rest == 0 ? "\(minutes)m" : "\(minutes)m\(rest)s"
        }
        if minutes < 180 { return "\(minutes)m" }
        let hours = seconds / 3600
        if hours < 8 {
            let rest = minutes % 60
            return rest == 0 ? "\(hours)h" : "\(hours)h\(rest)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let rest = hours % 24
            return rest == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(rest)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let rest = (hours / 24) % 365
            return rest == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(rest)d"
        }
        return "\(hours / 24 / 365)y"
    }

    /// The age of an RFC 3339 timestamp at `now`, or `<unknown>` when it is missing or unreadable.
    static func since(_ timestamp: JSONValue?, now: Date) -> String {
        guard let text = timestamp?.stringValue, let date = KubeTime.parse(text) else { return "<unknown>" }
        return format(now.timeIntervalSince(date))
    }
}
