/// A wall-clock minute in the proleptic Gregorian calendar, independent of
/// any time zone, plus the calendar arithmetic crontab matching needs.
///
/// "Wall seconds" are the seconds since 1970-01-01 00:00 of the wall clock,
/// counted as if the clock were UTC; an instant is `wallSeconds - offset`.
struct CrontabWallTime: Sendable, Hashable, Comparable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int

    init(year: Int, month: Int, day: Int, hour: Int, minute: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
    }

    /// The wall minute containing `wallSeconds` (seconds are dropped).
    init(wallSeconds: Int64) {
        let days = Self.floorDivide(wallSeconds, 86_400)
        let secondOfDay = Int(wallSeconds - days * 86_400)
        let date = Self.civilDate(fromDays: days)
        self.init(
            year: date.year, month: date.month, day: date.day,
            hour: secondOfDay / 3_600, minute: secondOfDay % 3_600 / 60)
    }

    /// This wall time as wall seconds (see the type's documentation).
    var wallSeconds: Int64 {
        Self.days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3_600 + minute * 60)
    }

    /// Day of the week, Sunday = 0 … Saturday = 6 (Celery's numbering).
    var dayOfWeek: Int { Self.dayOfWeek(year: year, month: month, day: day) }

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.year, lhs.month, lhs.day, lhs.hour, lhs.minute) < (rhs.year, rhs.month, rhs.day, rhs.hour, rhs.minute)
    }

    // MARK: - Calendar arithmetic

    static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The most days `month` ever has (February: 29).
    static func maximumDaysInMonth(_ month: Int) -> Int {
        month == 2 ? 29 : daysInMonth(year: 2001, month: month)
    }

    /// Days from 1970-01-01 to the given date (negative before), using the
    /// well-known era-based conversion for the proleptic Gregorian calendar.
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let shiftedYear = Int64(month <= 2 ? year - 1 : year)
        let era = floorDivide(shiftedYear, 400)
        let yearOfEra = shiftedYear - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` days after 1970-01-01 (inverse of `days(year:month:day:)`).
    static func civilDate(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    static func dayOfWeek(year: Int, month: Int, day: Int) -> Int {
        // 1970-01-01 was a Thursday (4).
        Int(floorModulo(days(year: year, month: month, day: day) + 4, 7))
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    static func floorModulo(_ value: Int64, _ divisor: Int64) -> Int64 {
        value - floorDivide(value, divisor) * divisor
    }
}
