import FoundationEssentials

/// A fixed-interval schedule: Celery's `schedule(run_every, relative=…)`, plus
/// an optional anchor that pins firings to a fixed grid.
///
/// `nextFire(after:)` works in one of three ways:
/// - **plain** (no anchor, `relative == false`): `previous + interval`, as
///   Celery's `remaining(last_run_at, run_every)`;
/// - **relative** (`relative == true`): Celery's `delta_resolution` rounding
///   — `previous + interval`, then rounded down to the interval's
///   resolution: whole days (UTC midnight) when the interval is at least a
///   day, whole hours when at least an hour, whole minutes when at least a
///   minute, otherwise whole seconds (Celery drops the microseconds);
/// - **anchored**: the first `anchor + k·interval` (k any integer, negative
///   too) strictly after `previous`, so firings stay on the grid whatever the
///   delays.
///
/// Celery rounds in the app's time zone; this type has none and rounds in UTC
/// (`ScheduleRule` and the beat loop use UTC instants).
public struct IntervalSchedule: Sendable, Hashable, CustomStringConvertible {
    /// The interval in seconds (finite, greater than zero).
    public let seconds: Double
    /// Whether firings are rounded down to the interval's resolution
    /// (Celery's `relative=True`).
    public let relative: Bool
    /// The instant firings are aligned to, if any.
    public let anchor: Date?

    /// Builds an interval schedule of `seconds` seconds.
    ///
    /// - Throws: `ScheduleError` with field `every` when `seconds` is not a
    ///   finite number greater than zero, or with field `relative` when both
    ///   `relative` and `anchor` are given (they contradict each other).
    public init(every seconds: Double, relative: Bool = false, anchor: Date? = nil) throws(ScheduleError) {
        guard seconds.isFinite else {
            throw .intervalNotFinite(value: Self.formatted(seconds))
        }
        guard seconds > 0 else {
            throw .intervalNotPositive(value: Self.formatted(seconds))
        }
        guard !(relative && anchor != nil) else {
            throw .relativeWithAnchor()
        }
        self.seconds = seconds
        self.relative = relative
        self.anchor = anchor
    }

    /// Builds an interval schedule from a `Duration` (sub-second parts kept).
    ///
    /// - Throws: as `init(every:relative:anchor:)` with a number of seconds.
    public init(every duration: Duration, relative: Bool = false, anchor: Date? = nil) throws(ScheduleError) {
        let parts = duration.components
        try self.init(
            every: Double(parts.seconds) + Double(parts.attoseconds) * 1e-18, relative: relative, anchor: anchor)
    }

    /// The next firing strictly after `previous` (see the type documentation
    /// for the plain, relative and anchored rules).
    public func nextFire(after previous: Date) -> Date {
        let last = previous.timeIntervalSince1970
        if let anchor {
            return Date(timeIntervalSince1970: anchoredFiring(after: last, anchor: anchor.timeIntervalSince1970))
        }
        guard relative else {
            return Date(timeIntervalSince1970: last + seconds)
        }
        let unit = resolution
        let rounded = ((last + seconds) / unit).rounded(.down) * unit
        // Only sub-second intervals can round back to `previous` or before.
        return Date(timeIntervalSince1970: rounded > last ? rounded : last.rounded(.down) + 1)
    }

    /// Celery's `delta_resolution`: the unit the end time is rounded down to.
    var resolution: Double {
        if seconds >= 86_400 { return 86_400 }
        if seconds >= 3_600 { return 3_600 }
        if seconds >= 60 { return 60 }
        return 1
    }

    private func anchoredFiring(after last: Double, anchor: Double) -> Double {
        var steps = ((last - anchor) / seconds).rounded(.down) + 1
        // Floating-point division can be off by one either way; correct it,
        // with a bound so that huge step counts cannot loop forever.
        var corrections = 0
        while anchor + steps * seconds <= last, corrections < 4 {
            steps += 1
            corrections += 1
        }
        while anchor + (steps - 1) * seconds > last, corrections < 8 {
            steps -= 1
            corrections += 1
        }
        let firing = anchor + steps * seconds
        return firing > last ? firing : last + seconds
    }

    /// `"every 30 seconds"`, `"every 2 hours"`, `"every 1.5 seconds"`, with
    /// `", rounded down to the whole hour"` when relative and `", aligned to
    /// 2027-01-01T00:00:00Z"` when anchored.
    public var description: String {
        var text = "every " + Self.amount(seconds)
        if relative {
            switch resolution {
            case 86_400: text += ", rounded down to the whole day (UTC)"
            case 3_600: text += ", rounded down to the whole hour"
            case 60: text += ", rounded down to the whole minute"
            default: text += ", rounded down to the whole second"
            }
        }
        if let anchor {
            text += ", aligned to " + Self.timestamp(anchor)
        }
        return text
    }

    /// The interval in the largest unit that divides it evenly.
    static func amount(_ seconds: Double) -> String {
        for (unit, size) in [("day", 86_400.0), ("hour", 3_600.0), ("minute", 60.0)]
        where seconds >= size && seconds.truncatingRemainder(dividingBy: size) == 0 {
            let count = seconds / size
            return count == 1 ? unit : "\(formatted(count)) \(unit)s"
        }
        return seconds == 1 ? "second" : "\(formatted(seconds)) seconds"
    }

    /// A number without a needless `.0`: `30`, `1.5`, `0.25`.
    static func formatted(_ number: Double) -> String {
        if number.isFinite, number == number.rounded(), abs(number) < 1e15 {
            return String(Int64(number))
        }
        return "\(number)"
    }

    /// An instant as ISO 8601 in UTC, `2027-01-01T00:00:00Z` (milliseconds
    /// shown when present).
    static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        guard let whole = Crontab.wholeSeconds(seconds) else { return "\(date)" }
        let wall = CrontabWallTime(wallSeconds: whole)
        let secondOfMinute = Int(CrontabWallTime.floorModulo(whole, 60))
        let milliseconds = Int(((seconds - Double(whole)) * 1_000).rounded(.down))
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var text = "\(wall.year)-\(two(wall.month))-\(two(wall.day))T\(two(wall.hour)):\(two(wall.minute)):"
            + two(secondOfMinute)
        if milliseconds > 0 {
            text += "." + String(String(milliseconds + 1_000).dropFirst())
        }
        return text + "Z"
    }
}
