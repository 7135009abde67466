import Foundation
import Testing

@testable import TaskQ

/// Helpers shared by the scheduling tests.
enum ScheduleTestSupport {
    /// The instant written as `2027-03-14T07:00:00Z` (fractional seconds allowed).
    static func instant(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".")
            ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        guard let date = formatter.date(from: text) else {
            preconditionFailure("bad test timestamp \(text)")
        }
        return date
    }

    /// `2027-03-14T07:00:00Z`, for readable failure messages.
    static func text(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func zone(_ identifier: String) -> TimeZone {
        guard let zone = TimeZone(identifier: identifier) else {
            preconditionFailure("unknown test zone \(identifier)")
        }
        return zone
    }

    static func crontab(_ expression: String) -> Crontab {
        do throws(ScheduleError) {
            return try Crontab(expression: expression)
        } catch {
            preconditionFailure("test crontab \(expression) refused: \(error)")
        }
    }

    /// The error `Crontab(minute:hour:…)` throws for these fields, or nil.
    static func crontabError(
        minute: String = "*", hour: String = "*", dayOfWeek: String = "*", dayOfMonth: String = "*",
        monthOfYear: String = "*"
    ) -> ScheduleError? {
        do throws(ScheduleError) {
            _ = try Crontab(
                minute: minute, hour: hour, dayOfWeek: dayOfWeek, dayOfMonth: dayOfMonth, monthOfYear: monthOfYear)
            return nil
        } catch {
            return error
        }
    }

    /// Every firing of `crontab` in `[start, end)`.
    static func firings(of crontab: Crontab, in zone: TimeZone, from start: Date, to end: Date) -> [Date] {
        var result: [Date] = []
        var cursor = start.addingTimeInterval(-0.001)
        while result.count < 10_000 {
            let next = crontab.nextFire(after: cursor, in: zone)
            guard next < end else { break }
            result.append(next)
            cursor = next
        }
        return result
    }
}

/// SplitMix64 (Steele, Lea, Flood), a tiny seeded generator so that property
/// test failures reproduce.
struct ScheduleSplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
