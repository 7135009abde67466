import Foundation
import Testing

@testable import TaskQ

/// Seeded random crontabs checked against a minute-by-minute oracle that
/// applies the DST rules with Foundation's `Calendar` directly.
@Suite("Crontab properties (seeded random)")
struct CrontabPropertyTests {
    static let zoneNames = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata"]
    static let crontabCount = 400
    static let firingsPerRun = 5
    /// Windows between firings longer than this are not brute-forced.
    static let bruteForceCap: TimeInterval = 3 * 86_400

    @Test("Random crontabs × zones: runs increase, fire per the DST rules, and skip no due minute")
    func randomCrontabsAgreeWithOracle() {
        var random = ScheduleSplitMix64(seed: 0x7A5C_0BEA_7000_2027)
        let generator = RandomCrontabFields()
        var accepted = 0
        var coverage = Coverage()
        while accepted < Self.crontabCount {
            let fields = generator.make(using: &random)
            let crontab: Crontab
            do throws(ScheduleError) {
                crontab = try Crontab(
                    minute: fields[0], hour: fields[1], dayOfWeek: fields[2], dayOfMonth: fields[3],
                    monthOfYear: fields[4])
            } catch {
                // Only impossible day/month combinations may be refused.
                #expect(error.description.contains("never matches"), "\(fields): \(error)")
                continue
            }
            accepted += 1
            for zoneName in Self.zoneNames {
                let zone = ScheduleTestSupport.zone(zoneName)
                let start = Self.randomStart(for: crontab, in: zone, using: &random)
                check(crontab, fields: fields, zone: zone, start: start, into: &coverage)
            }
        }
        #expect(accepted == Self.crontabCount)
        // Most windows are short enough to brute-force, and many straddle a DST
        // transition; make sure the oracle really ran there.
        #expect(coverage.windows > Self.crontabCount * Self.zoneNames.count * Self.firingsPerRun * 3 / 4)
        #expect(coverage.acrossTransition > Self.crontabCount / 2)
    }

    /// How many windows between firings were brute-forced, and how many of them contain a DST transition.
    struct Coverage {
        var windows = 0
        var acrossTransition = 0
    }

    /// Checks five successive firings, brute-forcing the windows between them.
    private func check(
        _ crontab: Crontab, fields: [String], zone: TimeZone, start: Date, into checks: inout Coverage
    ) {
        let oracle = CrontabFiringOracle(crontab: crontab, zone: zone)
        let label = "\(fields.joined(separator: " | ")) in \(zone.identifier) after \(ScheduleTestSupport.text(start))"
        var previous = start
        for _ in 0..<Self.firingsPerRun {
            let firing = crontab.nextFire(after: previous, in: zone)
            // (a) strictly after, on a whole minute (all these zones have whole-minute offsets).
            #expect(firing > previous, "\(label): \(ScheduleTestSupport.text(firing)) not after previous")
            #expect(firing.timeIntervalSince1970.truncatingRemainder(dividingBy: 60) == 0, "\(label)")
            // (b) it is a due minute: a first occurrence of a matching wall time, or a gap end.
            #expect(oracle.shouldFire(atMinute: firing), "\(label): \(ScheduleTestSupport.text(firing)) not due")
            // (c) nothing due was skipped in between.
            if firing.timeIntervalSince(previous) <= Self.bruteForceCap {
                checks.windows += 1
                if zone.secondsFromGMT(for: previous) != zone.secondsFromGMT(for: firing) {
                    checks.acrossTransition += 1
                }
                var minute = (previous.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60
                while minute < firing.timeIntervalSince1970 {
                    let skipped = Date(timeIntervalSince1970: minute)
                    if oracle.shouldFire(atMinute: skipped) {
                        let message = "\(label): skipped \(ScheduleTestSupport.text(skipped)) "
                            + "before \(ScheduleTestSupport.text(firing))"
                        Issue.record(Comment(rawValue: message))
                        break
                    }
                    minute += 60
                }
            }
            previous = firing
        }
    }

    /// A random instant in 2024–2030; for zones with DST, two thirds of them shortly
    /// before a transition: within about three of the crontab's typical gaps
    /// (at most two days), so that the five runs usually straddle it.
    static func randomStart(for crontab: Crontab, in zone: TimeZone, using random: inout ScheduleSplitMix64) -> Date {
        let from = ScheduleTestSupport.instant("2024-01-01T00:00:00Z").timeIntervalSince1970
        let to = ScheduleTestSupport.instant("2031-01-01T00:00:00Z").timeIntervalSince1970
        let base = Date(timeIntervalSince1970: Double.random(in: from..<to, using: &random))
        guard Int.random(in: 0..<3, using: &random) > 0,
            let transition = zone.nextDaylightSavingTimeTransition(after: base)
        else { return base }
        var probe = transition.addingTimeInterval(-3 * 86_400)
        let first = crontab.nextFire(after: probe, in: zone)
        probe = first
        for _ in 0..<3 { probe = crontab.nextFire(after: probe, in: zone) }
        let typicalGap = probe.timeIntervalSince(first) / 3
        let lead = Swift.min(2 * 86_400, Swift.max(60, 3 * typicalGap))
        return transition.addingTimeInterval(-Double.random(in: 0..<lead, using: &random))
    }
}

/// Decides, minute by minute and without the code under test, whether a
/// crontab is due at a UTC minute: the minute shows a matching wall time for
/// the first time, or it ends a spring-forward gap that skipped a matching
/// wall time.
struct CrontabFiringOracle {
    let crontab: Crontab
    let zone: TimeZone
    private let local: Calendar
    private let utc: Calendar

    init(crontab: Crontab, zone: TimeZone) {
        self.crontab = crontab
        self.zone = zone
        var local = Calendar(identifier: .gregorian)
        local.timeZone = zone
        self.local = local
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        self.utc = utc
    }

    func shouldFire(atMinute instant: Date) -> Bool {
        if wallMatches(local.dateComponents(Self.units, from: instant)), !isSecondOccurrence(instant) {
            return true
        }
        let offsetBefore = zone.secondsFromGMT(for: instant.addingTimeInterval(-1))
        let offsetAfter = zone.secondsFromGMT(for: instant)
        guard offsetAfter > offsetBefore else { return false }
        // Skipped wall times: [instant + offsetBefore, instant + offsetAfter), read on a UTC clock.
        var wall = instant.timeIntervalSince1970 + Double(offsetBefore)
        while wall < instant.timeIntervalSince1970 + Double(offsetAfter) {
            if wallMatches(utc.dateComponents(Self.units, from: Date(timeIntervalSince1970: wall))) {
                return true
            }
            wall += 60
        }
        return false
    }

    /// Whether an earlier instant (within a day) showed the same wall time.
    private func isSecondOccurrence(_ instant: Date) -> Bool {
        let offset = zone.secondsFromGMT(for: instant)
        let earlierOffset = zone.secondsFromGMT(for: instant.addingTimeInterval(-86_400))
        let shift = earlierOffset - offset
        return shift > 0 && zone.secondsFromGMT(for: instant.addingTimeInterval(-Double(shift))) == earlierOffset
    }

    private func wallMatches(_ parts: DateComponents) -> Bool {
        guard let minute = parts.minute, let hour = parts.hour, let day = parts.day, let month = parts.month,
            let weekday = parts.weekday
        else { return false }
        return crontab.minutes.contains(minute) && crontab.hours.contains(hour) && crontab.daysOfMonth.contains(day)
            && crontab.months.contains(month) && crontab.daysOfWeek.contains(weekday - 1)
    }

    private static let units: Set<Calendar.Component> = [.year, .month, .day, .hour, .minute, .weekday]
}

/// Random crontab field strings mixing every syntax form.
struct RandomCrontabFields {
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// minute, hour, day_of_week, day_of_month, month_of_year.
    func make(using random: inout ScheduleSplitMix64) -> [String] {
        [
            field(0, 59, names: nil, starChance: 3, using: &random),
            field(0, 23, names: nil, starChance: 4, using: &random),
            field(0, 6, names: Self.dayNames, starChance: 5, using: &random),
            field(1, 31, names: nil, starChance: 7, using: &random),
            field(1, 12, names: Self.monthNames, starChance: 7, using: &random),
        ]
    }

    /// One field; `starChance` out of 10 it is `*`.
    private func field(
        _ lowest: Int, _ highest: Int, names: [String]?, starChance: Int, using random: inout ScheduleSplitMix64
    ) -> String {
        func value() -> String {
            let number = Int.random(in: lowest...highest, using: &random)
            if let names, Bool.random(using: &random) {
                let name = names[number - lowest]
                return Bool.random(using: &random) ? name.uppercased() : name
            }
            return "\(number)"
        }
        func step() -> Int { Int.random(in: 1...Swift.max(1, (highest - lowest + 1) / 2), using: &random) }
        if Int.random(in: 0..<10, using: &random) < starChance { return "*" }
        switch Int.random(in: 0..<6, using: &random) {
        case 0: return value()
        case 1: return (0..<Int.random(in: 2...4, using: &random)).map { _ in value() }.joined(separator: ",")
        case 2: return "\(value())-\(value())"
        case 3: return "*/\(step())"
        case 4: return "\(value())-\(value())/\(step())"
        default: return "\(value()),\(value())-\(value())/\(step())"
        }
    }
}

