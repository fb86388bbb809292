import Foundation

/// A cron schedule of five fields — minute, hour, day of month, month, day of week — each `*`,
/// a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of those (months and days
/// of the week also as `jan`…`dec`, `sun`…`sat`; day of week 0 or 7 is Sunday); read in a time
/// zone. As in cron, when both day fields are restricted (neither starts with `*`) a day matching
/// either one matches.
///
/// Daylight saving time is handled as Vixie cron does for schedules at fixed times (the minute and
/// hour fields without `*`): a time skipped when clocks go forward runs at the first minute after
/// the change, and a time repeated when they go back runs the first time only. Schedules with a
/// `*` in the minute or hour field follow the wall clock: nothing runs in a skipped hour and the
/// repeated hour runs twice.
struct CronSchedule: Sendable, Hashable {
    let text: String
    let timeZone: TimeZone
    private let minutes: Set<Int>
    private let hours: Set<Int>
    private let days: Set<Int>
    private let months: Set<Int>
    private let weekdays: Set<Int>
    private let daysRestricted: Bool
    private let weekdaysRestricted: Bool
    /// Minute and hour fields without `*`: the daylight saving rules above apply.
    private let fixedTime: Bool

    static let maxLength = 256

    static let unknownTimeZone = APIError.invalidArgument(
        "parameter \"time_zone\" must be an IANA time zone such as Europe/Berlin")

    init(_ text: String, timeZone name: String = "UTC") throws(APIError) {
        guard text.utf8.count <= Self.maxLength else { throw .invalidArgument("parameter \"schedule\" is too long") }
        guard !name.isEmpty, let zone = TimeZone(identifier: name) else { throw Self.unknownTimeZone }
        let fields = text.lowercased().split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else {
            throw .invalidArgument(
                "parameter \"schedule\" must have 5 fields: minute hour day-of-month month day-of-week")
        }
        self.text = text
        timeZone = zone
        minutes = try Self.field(fields[0], 0...59, "minute")
        hours = try Self.field(fields[1], 0...23, "hour")
        days = try Self.field(fields[2], 1...31, "day of month")
        months = try Self.field(Self.replacingNames(Self.monthNames, from: 1, in: fields[3]), 1...12, "month")
        weekdays = Set(
            try Self.field(Self.replacingNames(Self.weekdayNames, from: 0, in: fields[4]), 0...7, "day of week").map {
                $0 % 7
            })
        daysRestricted = !fields[2].hasPrefix("*")
        weekdaysRestricted = !fields[4].hasPrefix("*")
        fixedTime = !fields[0].contains("*") && !fields[1].contains("*")
    }

    /// Whether the minute that contains `date` is a tick of the schedule.
    func matches(_ date: Date) -> Bool {
        let minute = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60)
        let offset = timeZone.secondsFromGMT(for: minute)
        let now = wallClock(minute, offset: offset)
        guard fixedTime else { return matches(now) }
        // Clocks went back in the last hours and this wall-clock time was already seen before the
        // change: it ran then.
        let before = timeZone.secondsFromGMT(for: minute.addingTimeInterval(-3 * 3600))
        if before > offset, timeZone.secondsFromGMT(for: minute.addingTimeInterval(-Double(before - offset))) == before
        {
            return false
        }
        if matches(now) { return true }
        // The first minute after clocks went forward: the wall-clock times skipped run now.
        let previous = timeZone.secondsFromGMT(for: minute.addingTimeInterval(-60))
        guard offset > previous else { return false }
        return (0..<(offset - previous) / 60).contains { step in
            matches(wallClock(minute.addingTimeInterval(Double(60 * step)), offset: previous))
        }
    }

    /// A wall-clock minute: the fields cron compares.
    private struct WallClock: Hashable {
        var minute: Int
        var hour: Int
        var day: Int
        var month: Int
        /// 0 for Sunday.
        var weekday: Int
    }

    private func wallClock(_ date: Date, offset: Int) -> WallClock {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offset) ?? .gmt
        let parts = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: date)
        return WallClock(
            minute: parts.minute ?? 0, hour: parts.hour ?? 0, day: parts.day ?? 1, month: parts.month ?? 1,
            weekday: (parts.weekday ?? 1) - 1)
    }

    private func matches(_ time: WallClock) -> Bool {
        guard minutes.contains(time.minute), hours.contains(time.hour), months.contains(time.month) else {
            return false
        }
        let dayMatches = days.contains(time.day)
        let weekdayMatches = weekdays.contains(time.weekday)
        if daysRestricted && weekdaysRestricted { return dayMatches || weekdayMatches }
        return dayMatches && weekdayMatches
    }

    private static let monthNames = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    private static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// The field with names replaced by their numbers (`names[0]` is `first`).
    private static func replacingNames(_ names: [String], from first: Int, in field: String) -> String {
        var field = field
        for (index, name) in names.enumerated() {
            field = field.replacingOccurrences(of: name, with: String(first + index))
        }
        return field
    }

    private static func field(_ text: String, _ range: ClosedRange<Int>, _ name: String) throws(APIError) -> Set<Int> {
        var values: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count) else { throw invalid(name, range) }
            var step = 1
            if pieces.count == 2 {
                guard let number = Int(pieces[1]), number >= 1, number <= range.upperBound + 1 else {
                    throw invalid(name, range)
                }
                step = number
            }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
                guard let first = bounds.first ?? nil, bounds.count <= 2, let last = bounds.last ?? nil,
                    range.contains(first), range.contains(last), first <= last
                else { throw invalid(name, range) }
                span = first...(pieces.count == 2 && bounds.count == 1 ? range.upperBound : last)
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }

    private static func invalid(_ name: String, _ range: ClosedRange<Int>) -> APIError {
        .invalidArgument(
            "parameter \"schedule\": the \(name) field must be *, numbers \(range.lowerBound)-\(range.upperBound), "
                + "ranges, steps or lists of them")
    }
}
