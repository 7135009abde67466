import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Celery's timestamps: ISO-8601 with microseconds and an offset, e.g. `2026-11-25T04:26:30.776784+00:00`.
package enum CeleryTime {
    /// Formats a date the way Celery writes `eta`, `expires` and `date_done`.
    package static func format(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        var micros = Int(((seconds - Double(whole)) * 1_000_000).rounded())
        if micros >= 1_000_000 {
            whole += 1
            micros -= 1_000_000
        }
        var parts = tm()
        gmtime_r(&whole, &parts)
        func pad(_ value: Int32, _ width: Int) -> String { FixedPoint.padded(Int(value), width: width) }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + FixedPoint.padded(micros, width: 6) + "+00:00"
    }

    /// Parses an ISO-8601 time with optional fraction and offset; no offset means UTC.
    ///
    /// Each field must be in its range (month 1-12, a day the month has, hour 0-23, minute
    /// 0-59, second 0-60, offset below 24 h): `2024-13-45T25:61:61Z` is no time, not one
    /// that `timegm` would carry over into 2025.
    package static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ length: Int) -> Int? {
            guard start + length <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + length] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2) else { return nil }
        var hour = 0, minute = 0, second = 0
        var index = 10
        if bytes.count > 10, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " ") {
            guard let h = number(11, 2), let m = number(14, 2) else { return nil }
            hour = h
            minute = m
            index = 16
            if let s = number(17, 2), bytes.count > 16, bytes[16] == UInt8(ascii: ":") {
                second = s
                index = 19
            }
        }
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48 && bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < bytes.count {
            let sign = bytes[index]
            if sign == UInt8(ascii: "Z") {
                index += 1
            } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                guard let oh = number(index + 1, 2) else { return nil }
                var om = 0
                if let minutes = number(index + 4, 2) { om = minutes } else if let minutes = number(index + 3, 2) { om = minutes }
                offsetSeconds = (oh * 3600 + om * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
            } else {
                return nil
            }
        }
        guard year >= 1, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour <= 23, minute <= 59, second <= 60, abs(offsetSeconds) < 24 * 3600 else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double(epoch) - Double(offsetSeconds) + fraction)
    }

    /// Days in `month` (1-12) of `year`, leap years counted.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
