import FoundationEssentials

/// When a periodic task runs: a fixed interval, or a crontab read against the
/// wall clock of a time zone.
public enum ScheduleRule: Sendable, Hashable, CustomStringConvertible {
    /// Every so many seconds (see `IntervalSchedule`).
    case interval(IntervalSchedule)
    /// At the wall-clock times a crontab selects in `timeZone` (see `Crontab`
    /// for the DST rules).
    case crontab(Crontab, timeZone: TimeZone)

    /// The first firing strictly after `instant`.
    public func nextFire(after instant: Date) -> Date {
        switch self {
        case .interval(let schedule):
            schedule.nextFire(after: instant)
        case .crontab(let crontab, let timeZone):
            crontab.nextFire(after: instant, in: timeZone)
        }
    }

    /// How many firings lie in `[due, now)`, counting `due` itself as the
    /// first (it is the firing the scheduler had planned), capped at `limit`;
    /// 0 when `now` is not after `due` or `limit` is not positive. Used to log
    /// "missed N slots" after downtime.
    public func missedFirings(from due: Date, until now: Date, limit: Int = 100_000) -> Int {
        guard limit > 0, due < now else { return 0 }
        var count = 1
        var firing = due
        while count < limit {
            let next = nextFire(after: firing)
            guard next > firing, next < now else { break }
            count += 1
            firing = next
        }
        return count
    }

    /// The schedule in words: the interval's or crontab's description, with
    /// the zone in parentheses when it is not UTC, e.g.
    /// `"at 02:30 (Europe/Berlin)"`.
    public var description: String {
        switch self {
        case .interval(let schedule):
            schedule.description
        case .crontab(let crontab, let timeZone):
            Self.isUTC(timeZone) ? crontab.description : "\(crontab) (\(timeZone.identifier))"
        }
    }

    /// The time zone with IANA name `name` (`"UTC"`, `"Europe/Berlin"`, …).
    ///
    /// Names are case-sensitive, as in the tz database. Fixed offsets that
    /// Foundation invents (`"GMT+5"`, `"UTC+01:00"`) are refused; use the tz
    /// database's `Etc/GMT-5` style instead.
    ///
    /// - Throws: `ScheduleError` with field `timezone` for an unknown name.
    public static func timeZone(named name: String) throws(ScheduleError) -> TimeZone {
        if utcNames.contains(name), let utc = TimeZone(identifier: "UTC") {
            return utc
        }
        guard let zone = TimeZone(identifier: name), zone.identifier == name,
            !isInventedOffset(name)
        else {
            throw .unknownTimeZone(name: name)
        }
        return zone
    }

    /// tz database names for UTC, which Foundation may report as `GMT`.
    private static let utcNames: Set<String> = [
        "UTC", "Etc/UTC", "GMT", "Etc/GMT", "UCT", "Etc/UCT", "Universal", "Etc/Universal",
        "Zulu", "Etc/Zulu", "GMT0", "Etc/GMT0", "GMT+0", "Etc/GMT+0", "GMT-0", "Etc/GMT-0", "Greenwich",
        "Etc/Greenwich",
    ]

    private static func isUTC(_ zone: TimeZone) -> Bool {
        utcNames.contains(zone.identifier)
    }

    /// `GMT+0500`, `UTC-3` and the like: accepted by Foundation, not tz names.
    private static func isInventedOffset(_ name: String) -> Bool {
        for prefix in ["GMT", "UTC"] where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            if let sign = rest.first, sign == "+" || sign == "-" { return true }
        }
        return false
    }
}
