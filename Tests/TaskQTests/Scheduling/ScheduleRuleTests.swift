import Foundation
import Testing

@testable import TaskQ

@Suite("Schedule rules")
struct ScheduleRuleTests {
    private func at(_ text: String) -> Date { ScheduleTestSupport.instant(text) }

    @Test("A rule forwards nextFire to its interval or to its crontab in its zone")
    func nextFireDispatch() throws {
        let interval = ScheduleRule.interval(try IntervalSchedule(every: 60))
        #expect(interval.nextFire(after: at("2027-01-15T10:00:00Z")) == at("2027-01-15T10:01:00Z"))
        let berlin = ScheduleRule.crontab(ScheduleTestSupport.crontab("30 2 * * *"),
                                          timeZone: try ScheduleRule.timeZone(named: "Europe/Berlin"))
        #expect(berlin.nextFire(after: at("2027-03-28T00:00:00Z")) == at("2027-03-28T01:00:00Z"))
    }

    @Test("IANA time zone names are accepted, including UTC")
    func validZones() throws {
        #expect(try ScheduleRule.timeZone(named: "UTC").secondsFromGMT(for: Date()) == 0)
        #expect(try ScheduleRule.timeZone(named: "Etc/UTC").secondsFromGMT(for: Date()) == 0)
        #expect(try ScheduleRule.timeZone(named: "Europe/Berlin").identifier == "Europe/Berlin")
        #expect(try ScheduleRule.timeZone(named: "Asia/Kolkata").secondsFromGMT(for: at("2027-01-01T00:00:00Z"))
                == 19_800)
        #expect(try ScheduleRule.timeZone(named: "America/Argentina/Buenos_Aires").identifier
                == "America/Argentina/Buenos_Aires")
    }

    @Test("Unknown or invented time zone names are refused, naming 'timezone'",
          arguments: ["Mars/Olympus_Mons", "", "europe/berlin", "GMT+5", "UTC+01:00", "GMT+0500", "Berlin"])
    func invalidZones(_ name: String) {
        var caught: ScheduleError?
        do throws(ScheduleError) {
            _ = try ScheduleRule.timeZone(named: name)
        } catch {
            caught = error
        }
        #expect(caught == .unknownTimeZone(name: name))
        #expect(caught?.field == "timezone")
        #expect(caught?.value == name)
    }

    @Test("A rule's description adds the zone unless it is UTC")
    func descriptions() throws {
        let crontab = ScheduleTestSupport.crontab("30 2 * * *")
        #expect(ScheduleRule.crontab(crontab, timeZone: try ScheduleRule.timeZone(named: "UTC")).description
                == "at 02:30")
        #expect(ScheduleRule.crontab(crontab, timeZone: try ScheduleRule.timeZone(named: "Europe/Berlin"))
                .description == "at 02:30 (Europe/Berlin)")
        #expect(ScheduleRule.interval(try IntervalSchedule(every: 30)).description == "every 30 seconds")
    }

    @Test("missedFirings counts the firings in [due, now), due included")
    func missedFiringsCounts() throws {
        let minutely = ScheduleRule.interval(try IntervalSchedule(every: 60))
        let due = at("2027-01-15T10:00:00Z")
        // 10:00, 10:01, 10:02, 10:03, 10:04 (10:05 is not before now).
        #expect(minutely.missedFirings(from: due, until: at("2027-01-15T10:05:00Z")) == 5)
        #expect(minutely.missedFirings(from: due, until: at("2027-01-15T10:05:00.001Z")) == 6)
        #expect(minutely.missedFirings(from: due, until: due) == 0)
        #expect(minutely.missedFirings(from: due, until: at("2027-01-15T09:00:00Z")) == 0)
        #expect(minutely.missedFirings(from: due, until: at("2027-01-15T11:00:00Z"), limit: 3) == 3)
        #expect(minutely.missedFirings(from: due, until: at("2027-01-15T11:00:00Z"), limit: 0) == 0)

        let hourly = ScheduleRule.crontab(ScheduleTestSupport.crontab("0 * * * *"),
                                          timeZone: try ScheduleRule.timeZone(named: "UTC"))
        // 10:00 through 15:00.
        #expect(hourly.missedFirings(from: due, until: at("2027-01-15T15:30:00Z")) == 6)

        let anchored = ScheduleRule.interval(try IntervalSchedule(every: 3_600, anchor: at("2027-01-01T00:00:00Z")))
        // 10:00 and 11:00.
        #expect(anchored.missedFirings(from: due, until: at("2027-01-15T12:00:00Z")) == 2)
    }

    @Test("missedFirings is bounded by its limit even after a long downtime")
    func missedFiringsBounded() throws {
        let everyMinute = ScheduleRule.crontab(ScheduleTestSupport.crontab("* * * * *"),
                                               timeZone: try ScheduleRule.timeZone(named: "America/New_York"))
        #expect(everyMinute.missedFirings(
            from: at("2027-01-01T00:00:00Z"), until: at("2028-01-01T00:00:00Z"), limit: 5_000) == 5_000)
        let tiny = ScheduleRule.interval(try IntervalSchedule(every: 0.001))
        #expect(tiny.missedFirings(from: at("2027-01-01T00:00:00Z"), until: at("2030-01-01T00:00:00Z")) == 100_000)
    }
}
