import Foundation

/// A standard 5-field cron schedule (`minute hour day-of-month month day-of-week`) with `*`, lists, ranges,
/// steps and the `@hourly`-style macros, evaluated in UTC.
public struct CronSchedule: Sendable, Equatable {
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let dayIsWildcard: Bool
    let weekdayIsWildcard: Bool

    /// Parses a schedule; throws a ``SelectorError``-style message on bad input.
    public init(parsing text: String) throws(SelectorError) {
        let macros = [
            "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
            "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
        ]
        let expanded = macros[text.trimmingCharacters(in: " ")] ?? text
        let fields = expanded.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else { throw SelectorError(message: "expected exactly 5 fields, found \(fields.count): \(text)") }
        minutes = try Self.field(fields[0], 0...59)
        hours = try Self.field(fields[1], 0...23)
        days = try Self.field(fields[2], 1...31)
        months = try Self.field(fields[3], 1...12)
        var weekdays = try Self.field(fields[4], 0...7)
        if weekdays.contains(7) { weekdays.insert(0) }
        self.weekdays = weekdays
        dayIsWildcard = fields[2] == "*" || fields[2] == "?"
        weekdayIsWildcard = fields[4] == "*" || fields[4] == "?"
    }

    private static func field(_ text: String, _ range: ClosedRange<Int>) throws(SelectorError) -> Set<Int> {
        var result: Set<Int> = []
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "/")
            let step = pieces.count > 1 ? Int(pieces[1]) ?? 0 : 1
            guard step > 0 else { throw SelectorError(message: "bad step in \(text)") }
            var lower = range.lowerBound
            var upper = range.upperBound
            if pieces[0] != "*" && pieces[0] != "?" {
                let bounds = pieces[0].split(separator: "-")
                guard let first = Int(bounds[0]) else { throw SelectorError(message: "bad value \(part)") }
                lower = first
                upper = bounds.count > 1 ? Int(bounds[1]) ?? first : (pieces.count > 1 ? range.upperBound : first)
            }
            guard range.contains(lower), range.contains(upper), lower <= upper else {
                throw SelectorError(message: "value out of range in \(text)")
            }
            result.formUnion(stride(from: lower, through: upper, by: step))
        }
        return result
    }

    /// Whether the minute starting at `date` matches.
    public func matches(_ date: Date) -> Bool {
        let c = KubeTime.components(date)
        guard minutes.contains(c.minute), hours.contains(c.hour), months.contains(c.month) else { return false }
        let dayMatch = days.contains(c.day)
        let weekdayMatch = weekdays.contains(c.weekday)
        if dayIsWildcard || weekdayIsWildcard { return dayMatch && weekdayMatch }
        return dayMatch || weekdayMatch
    }

    /// The first matching minute strictly after `date` (searches up to about 4 years ahead).
    public func next(after date: Date) -> Date? {
        var minute = (date.timeIntervalSince1970 / 60).rounded(.down) + 1
        for _ in 0..<(4 * 366 * 24 * 60) {
            let candidate = Date(timeIntervalSince1970: minute * 60)
            if matches(candidate) { return candidate }
            minute += 1
        }
        return nil
    }

    /// The latest matching minute in `(after, until]`, if any.
    public func latest(after: Date, until: Date) -> Date? {
        var latest: Date?
        var cursor = after
        for _ in 0..<1000 {
            guard let next = next(after: cursor), next <= until else { break }
            latest = next
            cursor = next
        }
        return latest
    }
}
