import FoundationEssentials

extension Crontab {
    /// The first firing instant strictly after `instant`, at minute resolution
    /// of the wall clock (seconds are zero), with the fields evaluated against
    /// the wall clock of `zone` and the DST rules of the type documentation
    /// applied (skipped times fire when the gap ends; repeated times fire at
    /// their first occurrence only).
    ///
    /// The search walks months, days, hours and minutes rather than single
    /// minutes and is bounded: every valid crontab matches within any 400-year
    /// span (the Gregorian calendar repeats, weekdays included, every 400
    /// years), so it always finds a time. Instants beyond about ±300,000
    /// years from 1970 are not supported; for them the result is merely some
    /// instant after `instant`.
    public func nextFire(after instant: Date, in zone: TimeZone) -> Date {
        let after = instant.timeIntervalSince1970
        guard let afterWhole = Self.wholeSeconds(after) else {
            return Date(timeIntervalSince1970: after.nextUp)
        }
        let clock = CrontabZoneClock(zone: zone)
        // Wall minutes up to and including the one showing at `instant` fire
        // at or before it (see `firingInstant`), so start at the next one.
        let wallNow = clock.wallSeconds(at: afterWhole)
        let minuteStart = CrontabWallTime.floorDivide(wallNow, 60) * 60
        var searchFrom = CrontabWallTime(wallSeconds: minuteStart + 60)
        // Candidates that fire at or before `instant` are only those in the
        // repeated pass of a fall-back (their first occurrence lies before
        // `instant`); there are at most a few hours' worth of minutes.
        for _ in 0..<Self.candidateLimit {
            guard let wall = nextMatchingWallTime(onOrAfter: searchFrom) else { break }
            let firing = clock.firingInstant(forWallSeconds: wall.wallSeconds)
            if Double(firing) > after {
                return Date(timeIntervalSince1970: Double(firing))
            }
            searchFrom = CrontabWallTime(wallSeconds: wall.wallSeconds + 60)
        }
        // Unreachable for supported instants: init guarantees a match.
        return Date(timeIntervalSince1970: after.nextUp)
    }

    /// How many matching wall times `nextFire` examines at most per call.
    private static var candidateLimit: Int { 100_000 }

    /// The earliest wall-clock minute at or after `start` matching all fields,
    /// searching at most 401 years ahead; nil if there is none (which init
    /// rules out).
    func nextMatchingWallTime(onOrAfter start: CrontabWallTime) -> CrontabWallTime? {
        var year = start.year
        var month = start.month
        var day = start.day
        var hour = start.hour
        var minute = start.minute
        let lastYear = start.year + 401
        while year <= lastYear {
            guard let matchingMonth = months.first(atOrAfter: month) else {
                (year, month, day, hour, minute) = (year + 1, 1, 1, 0, 0)
                continue
            }
            if matchingMonth != month {
                (month, day, hour, minute) = (matchingMonth, 1, 0, 0)
            }
            guard let matchingDay = firstMatchingDay(year: year, month: month, onOrAfter: day) else {
                (month, day, hour, minute) = (month + 1, 1, 0, 0)
                continue
            }
            if matchingDay != day {
                (day, hour, minute) = (matchingDay, 0, 0)
            }
            guard let matchingHour = hours.first(atOrAfter: hour) else {
                (day, hour, minute) = (day + 1, 0, 0)
                continue
            }
            if matchingHour != hour {
                (hour, minute) = (matchingHour, 0)
            }
            guard let matchingMinute = minutes.first(atOrAfter: minute) else {
                (hour, minute) = (hour + 1, 0)
                continue
            }
            return CrontabWallTime(year: year, month: month, day: day, hour: hour, minute: matchingMinute)
        }
        return nil
    }

    /// The first day at or after `firstDay` in the month whose day number and
    /// weekday both match (Celery combines the two day fields with AND).
    private func firstMatchingDay(year: Int, month: Int, onOrAfter firstDay: Int) -> Int? {
        let lastDay = CrontabWallTime.daysInMonth(year: year, month: month)
        var day = firstDay
        while let candidate = daysOfMonth.first(atOrAfter: day), candidate <= lastDay {
            if daysOfWeek.contains(CrontabWallTime.dayOfWeek(year: year, month: month, day: candidate)) {
                return candidate
            }
            day = candidate + 1
        }
        return nil
    }
}
