import FoundationEssentials

/// A Celery-style crontab schedule: the minutes, hours, days of the week,
/// days of the month and months at which a periodic task runs, evaluated
/// against the wall clock of a time zone.
///
/// ## Field syntax (as Celery's `crontab_parser`)
/// Every field takes `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`,
/// and comma-separated lists of these (`1,13,30-45,50-59/2`). Ranges:
/// `minute` 0–59, `hour` 0–23, `day_of_week` 0–6 with Sunday = 0 (7 is
/// refused, as in Celery), `day_of_month` 1–31, `month_of_year` 1–12.
/// `day_of_week` also takes day names (`sun`…`sat`, full names, or any
/// beginning of the full name of at least three letters such as `tues`) and
/// `month_of_year` month names likewise, in any letter case. A range whose
/// start is after its end wraps around (`fri-mon` is Fri, Sat, Sun, Mon;
/// hours `22-2` are 22, 23, 0, 1, 2). A step takes every n-th value of the
/// expanded range starting with its first (`9-17/2` is 9, 11, 13, 15, 17);
/// a step after a single value (`5/10`) is refused, as in Celery.
///
/// ## Days: both must match
/// A day is a run day only when its month is in `month_of_year`, its day
/// number is in `day_of_month` **and** its weekday is in `day_of_week`
/// (Celery's rule, unlike Vixie cron's "either day field"). So
/// `day_of_month="1-7", day_of_week="mon"` is the first Monday of each month,
/// and `day_of_month="13", day_of_week="fri"` runs only on Friday the 13th.
/// A combination that can never match (`day_of_month="30,31"` with
/// `month_of_year="2"`) is refused at initialisation.
///
/// ## Daylight saving time
/// `nextFire(after:in:)` first finds the matching wall-clock minutes, then
/// turns each into one instant:
/// - A wall time that does not exist in the zone (skipped when clocks spring
///   forward) fires once, at the instant the gap ends: a daily 02:30 in
///   America/New_York on 2027-03-14 fires at 03:00 EDT (07:00 UTC). Several
///   matching wall times inside one gap collapse into that single firing, as
///   does a matching wall time right at the end of the gap.
/// - A wall time that occurs twice (clocks set back) fires once, at its first
///   occurrence. During the repeated pass nothing that already fired fires
///   again, so an hourly job skips the second 01:00 in New York on the
///   fall-back day, and an every-minute job is silent for that repeated hour.
///
/// Hence a daily 02:30 job runs exactly once on every spring-forward and
/// fall-back day, wherever the transition lies.
///
/// ## Equality
/// Like Celery's `crontab.__eq__`, two crontabs are equal when they select the
/// same values, however they are written (`*/15` equals `0,15,30,45`).
public struct Crontab: Sendable, Hashable, CustomStringConvertible {
    /// The `minute` field exactly as written.
    public let minute: String
    /// The `hour` field exactly as written.
    public let hour: String
    /// The `day_of_week` field exactly as written.
    public let dayOfWeek: String
    /// The `day_of_month` field exactly as written.
    public let dayOfMonth: String
    /// The `month_of_year` field exactly as written.
    public let monthOfYear: String

    let minutes: CrontabValueSet
    let hours: CrontabValueSet
    let daysOfWeek: CrontabValueSet
    let daysOfMonth: CrontabValueSet
    let months: CrontabValueSet

    /// Builds a crontab from Celery's keyword fields (the same order and
    /// defaults as `celery.schedules.crontab`).
    ///
    /// - Throws: `ScheduleError` naming the first field that does not parse,
    ///   or `day_of_month` when no month in `month_of_year` has such a day.
    public init(
        minute: String = "*",
        hour: String = "*",
        dayOfWeek: String = "*",
        dayOfMonth: String = "*",
        monthOfYear: String = "*"
    ) throws(ScheduleError) {
        self.minute = minute
        self.hour = hour
        self.dayOfWeek = dayOfWeek
        self.dayOfMonth = dayOfMonth
        self.monthOfYear = monthOfYear
        minutes = try CrontabFieldParser.parse(minute, as: .minute)
        hours = try CrontabFieldParser.parse(hour, as: .hour)
        daysOfWeek = try CrontabFieldParser.parse(dayOfWeek, as: .dayOfWeek)
        daysOfMonth = try CrontabFieldParser.parse(dayOfMonth, as: .dayOfMonth)
        months = try CrontabFieldParser.parse(monthOfYear, as: .monthOfYear)
        try Self.checkSomeDayExists(daysOfMonth: daysOfMonth, months: months, dayOfMonth: dayOfMonth,
                                    monthOfYear: monthOfYear)
    }

    /// Builds a crontab from a classic five-field cron string in cron order,
    /// `minute hour day-of-month month day-of-week`, such as
    /// `"0 9-17/2 * * mon-fri"` (Celery's `crontab.from_string`). Fields are
    /// separated by runs of spaces or tabs.
    ///
    /// - Throws: `ScheduleError` with field `expression` when there are not
    ///   exactly five fields, otherwise as `init(minute:hour:…)`.
    public init(expression: String) throws(ScheduleError) {
        let fields = expression.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw .wrongFieldCount(expression: expression, found: fields.count)
        }
        try self.init(
            minute: fields[0], hour: fields[1], dayOfWeek: fields[4], dayOfMonth: fields[2],
            monthOfYear: fields[3])
    }

    /// Whether the wall-clock minute shown in `zone` at `instant` matches all
    /// five fields.
    ///
    /// This is the plain wall-clock test: it is true during the repeated pass
    /// of a fall-back hour even though nothing fires then, and false for the
    /// end of a DST gap at which a skipped time fires. `nextFire(after:in:)`
    /// applies the DST rules.
    public func matches(_ instant: Date, in zone: TimeZone) -> Bool {
        let seconds = instant.timeIntervalSince1970
        guard let whole = Self.wholeSeconds(seconds) else { return false }
        let wall = CrontabWallTime(wallSeconds: CrontabZoneClock(zone: zone).wallSeconds(at: whole))
        return matches(wall)
    }

    func matches(_ wall: CrontabWallTime) -> Bool {
        months.contains(wall.month) && daysOfMonth.contains(wall.day) && daysOfWeek.contains(wall.dayOfWeek)
            && hours.contains(wall.hour) && minutes.contains(wall.minute)
    }

    /// Equal when both select the same values in every field (Celery's rule).
    public static func == (lhs: Crontab, rhs: Crontab) -> Bool {
        lhs.minutes == rhs.minutes && lhs.hours == rhs.hours && lhs.daysOfWeek == rhs.daysOfWeek
            && lhs.daysOfMonth == rhs.daysOfMonth && lhs.months == rhs.months
    }

    /// Hashes the selected values, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(minutes)
        hasher.combine(hours)
        hasher.combine(daysOfWeek)
        hasher.combine(daysOfMonth)
        hasher.combine(months)
    }

    /// The whole seconds at or before `seconds`, when within the supported
    /// span (about ±300,000 years around 1970).
    static func wholeSeconds(_ seconds: Double) -> Int64? {
        guard seconds.isFinite, abs(seconds) < 1e13 else { return nil }
        return Int64(seconds.rounded(.down))
    }

    private static func checkSomeDayExists(
        daysOfMonth: CrontabValueSet, months: CrontabValueSet, dayOfMonth: String, monthOfYear: String
    ) throws(ScheduleError) {
        guard let firstDay = daysOfMonth.lowestValue else { return }
        let monthValues = months.sortedValues
        let longest = monthValues.map(CrontabWallTime.maximumDaysInMonth).max() ?? 31
        guard firstDay > longest else { return }
        let reason: String
        if monthValues.count == 1, let month = monthValues.first {
            let monthName = CrontabField.monthNames[month - 1]
            reason = month == 2
                ? "February has at most 29 days"
                : "\(monthName) has only \(longest) days"
        } else {
            reason = "no month in month_of_year \"\(monthOfYear)\" has more than \(longest) days"
        }
        throw .neverMatches(field: "day_of_month", value: dayOfMonth, reason: reason)
    }
}
