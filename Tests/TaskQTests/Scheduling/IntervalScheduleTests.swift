import Foundation
import Testing

@testable import TaskQ

@Suite("Interval schedules")
struct IntervalScheduleTests {
    private func at(_ text: String) -> Date { ScheduleTestSupport.instant(text) }
    private func text(_ date: Date) -> String { ScheduleTestSupport.text(date) }

    @Test("A plain interval fires the interval after the previous run")
    func plain() throws {
        let schedule = try IntervalSchedule(every: 30)
        #expect(text(schedule.nextFire(after: at("2027-01-15T10:00:10.250Z"))) == "2027-01-15T10:00:40.250Z")
        #expect(try IntervalSchedule(every: 1.5).nextFire(after: at("2027-01-15T10:00:00Z"))
                == at("2027-01-15T10:00:01.500Z"))
    }

    @Test("An anchored interval fires on the grid anchor + k·interval, strictly after the previous run")
    func anchored() throws {
        let schedule = try IntervalSchedule(every: 3_600, anchor: at("2027-01-01T00:00:00Z"))
        // After the anchor.
        #expect(schedule.nextFire(after: at("2027-01-01T05:30:00Z")) == at("2027-01-01T06:00:00Z"))
        #expect(schedule.nextFire(after: at("2027-01-01T06:00:00Z")) == at("2027-01-01T07:00:00Z"))
        #expect(schedule.nextFire(after: at("2027-01-01T06:59:59.999Z")) == at("2027-01-01T07:00:00Z"))
        // Before the anchor (k negative), and the anchor itself.
        #expect(schedule.nextFire(after: at("2026-12-31T22:10:00Z")) == at("2026-12-31T23:00:00Z"))
        #expect(schedule.nextFire(after: at("2026-12-31T23:00:00Z")) == at("2027-01-01T00:00:00Z"))
        // A non-integral interval far from the anchor.
        let fractional = try IntervalSchedule(every: 0.1, anchor: at("2027-01-01T00:00:00Z"))
        let next = fractional.nextFire(after: at("2027-06-01T12:00:00.05Z"))
        #expect(next > at("2027-06-01T12:00:00.05Z") && next <= at("2027-06-01T12:00:00.1501Z"))
    }

    @Test("Relative intervals round the end down to the interval's resolution, as Celery's delta_resolution")
    func relativeRounding() throws {
        // Under a minute: whole seconds.
        #expect(try IntervalSchedule(every: 30, relative: true).nextFire(after: at("2027-01-15T10:00:10.700Z"))
                == at("2027-01-15T10:00:40Z"))
        // At least a minute: whole minutes (10:00:50 + 90 s = 10:02:20 → 10:02).
        #expect(try IntervalSchedule(every: 90, relative: true).nextFire(after: at("2027-01-15T10:00:50Z"))
                == at("2027-01-15T10:02:00Z"))
        // At least an hour: whole hours (10:20 + 1.5 h = 11:50 → 11:00).
        #expect(try IntervalSchedule(every: 5_400, relative: true).nextFire(after: at("2027-01-15T10:20:00Z"))
                == at("2027-01-15T11:00:00Z"))
        // At least a day: whole UTC days (13:45 + 1 day → next midnight).
        #expect(try IntervalSchedule(every: 86_400, relative: true).nextFire(after: at("2027-01-15T13:45:00Z"))
                == at("2027-01-16T00:00:00Z"))
        // A plain interval does not round.
        #expect(try IntervalSchedule(every: 5_400).nextFire(after: at("2027-01-15T10:20:00Z"))
                == at("2027-01-15T11:50:00Z"))
    }

    @Test("A relative sub-second interval never fires at or before the previous run")
    func relativeSubSecond() throws {
        let schedule = try IntervalSchedule(every: 0.5, relative: true)
        #expect(schedule.nextFire(after: at("2027-01-15T10:00:10.200Z")) == at("2027-01-15T10:00:11Z"))
        #expect(schedule.nextFire(after: at("2027-01-15T10:00:10.600Z")) == at("2027-01-15T10:00:11Z"))
    }

    @Test("Intervals that are not a positive finite number of seconds are refused, naming 'every'")
    func invalidIntervals() {
        let cases: [(Double, String, ScheduleError)] = [
            (0, "0", .intervalNotPositive(value: "0")),
            (-5, "-5", .intervalNotPositive(value: "-5")),
            (-0.5, "-0.5", .intervalNotPositive(value: "-0.5")),
            (.nan, "nan", .intervalNotFinite(value: "nan")),
            (.infinity, "inf", .intervalNotFinite(value: "inf")),
            (-.infinity, "-inf", .intervalNotFinite(value: "-inf")),
        ]
        for (seconds, value, expected) in cases {
            var caught: ScheduleError?
            do throws(ScheduleError) {
                _ = try IntervalSchedule(every: seconds)
            } catch {
                caught = error
            }
            #expect(caught == expected)
            #expect(caught?.field == "every")
            #expect(caught?.value == value)
        }
        #expect(ScheduleError.intervalNotPositive(value: "0").description
                == "every \"0\": the interval must be greater than zero seconds")
    }

    @Test("Relative rounding and an anchor cannot be combined")
    func relativeWithAnchor() {
        var caught: ScheduleError?
        do throws(ScheduleError) {
            _ = try IntervalSchedule(every: 60, relative: true, anchor: Date(timeIntervalSince1970: 0))
        } catch {
            caught = error
        }
        #expect(caught?.field == "relative")
    }

    @Test("A Duration gives the same schedule, sub-second parts included")
    func durationInit() throws {
        #expect(try IntervalSchedule(every: .seconds(30)) == (try IntervalSchedule(every: 30)))
        #expect(try IntervalSchedule(every: .milliseconds(1_500)).seconds == 1.5)
        #expect(try IntervalSchedule(every: .seconds(2), relative: true).relative)
        var caught: ScheduleError?
        do throws(ScheduleError) {
            _ = try IntervalSchedule(every: .zero)
        } catch {
            caught = error
        }
        #expect(caught?.field == "every")
    }

    @Test("Intervals read as English words")
    func descriptions() throws {
        #expect(try IntervalSchedule(every: 30).description == "every 30 seconds")
        #expect(try IntervalSchedule(every: 7_200).description == "every 2 hours")
        #expect(try IntervalSchedule(every: 1.5).description == "every 1.5 seconds")
        #expect(try IntervalSchedule(every: 1).description == "every second")
        #expect(try IntervalSchedule(every: 60).description == "every minute")
        #expect(try IntervalSchedule(every: 90).description == "every 90 seconds")
        #expect(try IntervalSchedule(every: 5_400).description == "every 90 minutes")
        #expect(try IntervalSchedule(every: 172_800).description == "every 2 days")
        #expect(try IntervalSchedule(every: 3_600, relative: true).description
                == "every hour, rounded down to the whole hour")
        #expect(try IntervalSchedule(every: 7_200, anchor: at("2027-01-01T00:00:00Z")).description
                == "every 2 hours, aligned to 2027-01-01T00:00:00Z")
        #expect(try IntervalSchedule(every: 10, anchor: at("2027-01-01T00:00:00.250Z")).description
                == "every 10 seconds, aligned to 2027-01-01T00:00:00.250Z")
    }
}
