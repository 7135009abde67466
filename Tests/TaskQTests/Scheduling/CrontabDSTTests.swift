import Foundation
import Testing

@testable import TaskQ

/// Daylight-saving days, counted firing by firing. Local-day bounds and
/// expected instants were checked with Python's `zoneinfo`.
@Suite("Crontab across DST transitions")
struct CrontabDSTTests {
    struct TransitionDay: Sendable, CustomTestStringConvertible {
        let zone: String
        let name: String
        /// Local midnight starting the day, in UTC.
        let start: String
        /// Local midnight ending the day, in UTC.
        let end: String
        /// The one instant a daily 02:30 job fires that day.
        let twoThirty: String
        let hours: Int

        var testDescription: String { "\(zone) \(name)" }
    }

    static let days: [TransitionDay] = [
        TransitionDay(
            zone: "America/New_York", name: "spring forward 2027-03-14", start: "2027-03-14T05:00:00Z",
            end: "2027-03-15T04:00:00Z", twoThirty: "2027-03-14T07:00:00Z", hours: 23),
        TransitionDay(
            zone: "America/New_York", name: "fall back 2027-11-07", start: "2027-11-07T04:00:00Z",
            end: "2027-11-08T05:00:00Z", twoThirty: "2027-11-07T07:30:00Z", hours: 25),
        TransitionDay(
            zone: "Europe/Berlin", name: "spring forward 2027-03-28", start: "2027-03-27T23:00:00Z",
            end: "2027-03-28T22:00:00Z", twoThirty: "2027-03-28T01:00:00Z", hours: 23),
        TransitionDay(
            zone: "Europe/Berlin", name: "fall back 2027-10-31", start: "2027-10-30T22:00:00Z",
            end: "2027-10-31T23:00:00Z", twoThirty: "2027-10-31T00:30:00Z", hours: 25),
    ]

    private func firings(_ expression: String, on day: TransitionDay) -> [String] {
        ScheduleTestSupport.firings(
            of: ScheduleTestSupport.crontab(expression), in: ScheduleTestSupport.zone(day.zone),
            from: ScheduleTestSupport.instant(day.start), to: ScheduleTestSupport.instant(day.end)
        ).map(ScheduleTestSupport.text)
    }

    @Test("The day really has the expected length (guards the fixture)", arguments: days)
    func dayLength(_ day: TransitionDay) {
        let length = ScheduleTestSupport.instant(day.end).timeIntervalSince(ScheduleTestSupport.instant(day.start))
        #expect(length == Double(day.hours) * 3_600)
    }

    @Test("A daily 02:30 job runs exactly once on the transition day", arguments: days)
    func dailyTwoThirtyOnce(_ day: TransitionDay) {
        let runs = firings("30 2 * * *", on: day)
        #expect(runs == [ScheduleTestSupport.text(ScheduleTestSupport.instant(day.twoThirty))])
    }

    @Test("An hourly job runs once per existing wall-clock hour (23 in spring, 24 in autumn)", arguments: days)
    func hourlyJob(_ day: TransitionDay) {
        let runs = firings("0 * * * *", on: day)
        #expect(runs.count == (day.hours == 23 ? 23 : 24))
        #expect(Set(runs).count == runs.count)
    }

    @Test("An every-minute job never repeats a wall-clock minute on the transition day", arguments: days)
    func everyMinuteJob(_ day: TransitionDay) {
        let runs = firings("* * * * *", on: day)
        // Spring: the 60 skipped minutes collapse into 03:00, itself a run.
        // Autumn: the repeated hour's second pass is silent.
        #expect(runs.count == (day.hours == 23 ? 23 * 60 : 24 * 60))
        #expect(runs == runs.sorted())
    }

    @Test("A daily 01:30 job runs once, at the first 01:30, on New York's fall-back day")
    func oneThirtyFallBack() {
        let runs = firings("30 1 * * *", on: Self.days[1])
        #expect(runs == ["2027-11-07T05:30:00.000Z"])
    }

    @Test("Hourly across New York's transitions: the gap hour fires at its end, the repeated hour once")
    func hourlyAroundTransitions() {
        let crontab = ScheduleTestSupport.crontab("0 * * * *")
        let newYork = ScheduleTestSupport.zone("America/New_York")
        let spring = ScheduleTestSupport.firings(
            of: crontab, in: newYork, from: ScheduleTestSupport.instant("2027-03-14T05:30:00Z"),
            to: ScheduleTestSupport.instant("2027-03-14T09:30:00Z")
        ).map(ScheduleTestSupport.text)
        // 01:00 EST, then 03:00 EDT (02:00 does not exist and 03:00 is the gap end), 04:00, 05:00 EDT.
        #expect(spring == [
            "2027-03-14T06:00:00.000Z", "2027-03-14T07:00:00.000Z", "2027-03-14T08:00:00.000Z",
            "2027-03-14T09:00:00.000Z",
        ])
        let autumn = ScheduleTestSupport.firings(
            of: crontab, in: newYork, from: ScheduleTestSupport.instant("2027-11-07T03:30:00Z"),
            to: ScheduleTestSupport.instant("2027-11-07T08:30:00Z")
        ).map(ScheduleTestSupport.text)
        // 00:00 EDT, 01:00 EDT, (01:00 EST skipped), 02:00 EST, 03:00 EST.
        #expect(autumn == [
            "2027-11-07T04:00:00.000Z", "2027-11-07T05:00:00.000Z", "2027-11-07T07:00:00.000Z",
            "2027-11-07T08:00:00.000Z",
        ])
    }

    @Test("Quarter-hour runs inside the spring gap collapse into one run at its end")
    func quarterHoursCollapse() {
        let runs = firings("*/15 * * * *", on: Self.days[0])
        #expect(runs.count == 23 * 4)
        // 01:45 EST, then 02:00, 02:15, 02:30, 02:45 and 03:00 all at 03:00 EDT, then 03:15 EDT.
        let index = runs.firstIndex(of: "2027-03-14T06:45:00.000Z")
        #expect(index.map { Array(runs[$0...($0 + 2)]) }
                == ["2027-03-14T06:45:00.000Z", "2027-03-14T07:00:00.000Z", "2027-03-14T07:15:00.000Z"])
        #expect(Set(runs).count == runs.count)
    }

    @Test("A daily 02:30 job runs once on every local date of 2027", arguments: [
        "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "UTC",
    ])
    func dailyForAYear(_ zoneName: String) {
        let zone = ScheduleTestSupport.zone(zoneName)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let start = calendar.date(from: DateComponents(year: 2027, month: 1, day: 1))!
        let end = calendar.date(from: DateComponents(year: 2028, month: 1, day: 1))!
        let runs = ScheduleTestSupport.firings(
            of: ScheduleTestSupport.crontab("30 2 * * *"), in: zone, from: start, to: end)
        let localDates = runs.map { calendar.dateComponents([.year, .month, .day], from: $0) }
        #expect(runs.count == 365)
        #expect(Set(localDates).count == 365)
    }

    @Test("matches is the plain wall-clock test, also in a repeated hour")
    func matchesInRepeatedHour() {
        let crontab = ScheduleTestSupport.crontab("30 1 * * *")
        let newYork = ScheduleTestSupport.zone("America/New_York")
        // Both 01:30 EDT (05:30 UTC) and 01:30 EST (06:30 UTC) show 01:30 …
        #expect(crontab.matches(ScheduleTestSupport.instant("2027-11-07T05:30:00Z"), in: newYork))
        #expect(crontab.matches(ScheduleTestSupport.instant("2027-11-07T06:30:00Z"), in: newYork))
        // … but only the first fires.
        #expect(crontab.nextFire(after: ScheduleTestSupport.instant("2027-11-07T05:30:00Z"), in: newYork)
                == ScheduleTestSupport.instant("2027-11-08T06:30:00Z"))
        // The gap end fires for 02:30 but does not show 02:30.
        #expect(!ScheduleTestSupport.crontab("30 2 * * *").matches(
            ScheduleTestSupport.instant("2027-03-14T07:00:00Z"), in: newYork))
    }
}
