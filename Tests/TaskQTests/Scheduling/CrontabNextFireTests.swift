import Foundation
import Testing

@testable import TaskQ

/// Hand-checked next-run cases. Every expected instant was worked out on the
/// calendar and then confirmed with an independent Python brute force
/// (`zoneinfo`), minute by minute, applying the same DST rules.
@Suite("Crontab next run")
struct CrontabNextFireTests {
    struct NextFireCase: Sendable, CustomTestStringConvertible {
        let expression: String
        let after: String
        let zone: String
        let expected: String

        init(_ expression: String, after: String, in zone: String, expected: String) {
            self.expression = expression
            self.after = after
            self.zone = zone
            self.expected = expected
        }

        var testDescription: String { "\(expression) after \(after) in \(zone)" }
    }

    static let cases: [NextFireCase] = [
        // Every minute: strictly after, seconds dropped, fractional start.
        NextFireCase("* * * * *", after: "2027-01-15T10:20:30Z", in: "UTC", expected: "2027-01-15T10:21:00Z"),
        NextFireCase("* * * * *", after: "2027-01-15T10:21:00Z", in: "UTC", expected: "2027-01-15T10:22:00Z"),
        NextFireCase("* * * * *", after: "2027-01-15T10:20:59.999Z", in: "UTC", expected: "2027-01-15T10:21:00Z"),
        // Steps on * and on ranges.
        NextFireCase("*/15 * * * *", after: "2027-01-15T10:20:00Z", in: "UTC", expected: "2027-01-15T10:30:00Z"),
        NextFireCase("*/15 * * * *", after: "2027-01-15T10:45:00Z", in: "UTC", expected: "2027-01-15T11:00:00Z"),
        NextFireCase("0 9-17/2 * * *", after: "2027-01-15T10:00:00Z", in: "UTC", expected: "2027-01-15T11:00:00Z"),
        NextFireCase("0 9-17/2 * * *", after: "2027-01-15T17:00:00Z", in: "UTC", expected: "2027-01-16T09:00:00Z"),
        NextFireCase("0-30/10 * * * *", after: "2027-01-15T10:31:00Z", in: "UTC", expected: "2027-01-15T11:00:00Z"),
        NextFireCase("0-30/10 * * * *", after: "2027-01-15T10:05:00Z", in: "UTC", expected: "2027-01-15T10:10:00Z"),
        // Day-of-week numbers, names, lists and wrap-around ranges (2027-01-15 is a Friday).
        NextFireCase("0 9 * * mon-fri", after: "2027-01-15T09:00:00Z", in: "UTC", expected: "2027-01-18T09:00:00Z"),
        NextFireCase("0 9 * * sat,sun", after: "2027-01-18T00:00:00Z", in: "UTC", expected: "2027-01-23T09:00:00Z"),
        NextFireCase("0 12 * * fri-mon", after: "2027-01-19T13:00:00Z", in: "UTC", expected: "2027-01-22T12:00:00Z"),
        NextFireCase("0 12 * * fri-mon", after: "2027-01-23T12:00:00Z", in: "UTC", expected: "2027-01-24T12:00:00Z"),
        NextFireCase("0 9 * * 0", after: "2027-01-16T12:00:00Z", in: "UTC", expected: "2027-01-17T09:00:00Z"),
        // Month names, wrap-around month ranges, month steps.
        NextFireCase("0 0 1 jan,jul *", after: "2027-02-10T00:00:00Z", in: "UTC", expected: "2027-07-01T00:00:00Z"),
        NextFireCase("0 0 1 nov-feb *", after: "2027-03-01T00:00:00Z", in: "UTC", expected: "2027-11-01T00:00:00Z"),
        NextFireCase("0 0 1 */3 *", after: "2027-02-01T00:00:00Z", in: "UTC", expected: "2027-04-01T00:00:00Z"),
        // day_of_month=31 skips 30-day months and February.
        NextFireCase("0 12 31 * *", after: "2027-01-31T12:00:00Z", in: "UTC", expected: "2027-03-31T12:00:00Z"),
        NextFireCase("0 12 31 * *", after: "2027-03-31T13:00:00Z", in: "UTC", expected: "2027-05-31T12:00:00Z"),
        NextFireCase("0 12 31 * *", after: "2027-07-31T12:00:00Z", in: "UTC", expected: "2027-08-31T12:00:00Z"),
        // February 29 waits for the next leap year.
        NextFireCase("0 0 29 2 *", after: "2027-03-01T00:00:00Z", in: "UTC", expected: "2028-02-29T00:00:00Z"),
        // day_of_month AND day_of_week (Celery): Friday the 13th, first Monday of the month.
        NextFireCase("0 10 13 * fri", after: "2027-01-01T00:00:00Z", in: "UTC", expected: "2027-08-13T10:00:00Z"),
        NextFireCase("0 8 1-7 * mon", after: "2027-01-05T00:00:00Z", in: "UTC", expected: "2027-02-01T08:00:00Z"),
        NextFireCase("0 8 1-7 * mon", after: "2027-01-01T00:00:00Z", in: "UTC", expected: "2027-01-04T08:00:00Z"),
        // Year boundary.
        NextFireCase("* * * * *", after: "2027-12-31T23:59:00Z", in: "UTC", expected: "2028-01-01T00:00:00Z"),
        NextFireCase("0 0 1 1 *", after: "2027-01-01T00:00:00Z", in: "UTC", expected: "2028-01-01T00:00:00Z"),
        // Hours wrapping past midnight.
        NextFireCase("0 22-2 * * *", after: "2027-01-15T02:00:00Z", in: "UTC", expected: "2027-01-15T22:00:00Z"),
        NextFireCase("0 22-2 * * *", after: "2027-01-15T23:30:00Z", in: "UTC", expected: "2027-01-16T00:00:00Z"),
        // Non-hour offset (Asia/Kolkata, +05:30) and plain zones.
        NextFireCase("30 2 * * *", after: "2027-01-15T00:00:00Z", in: "Asia/Kolkata", expected: "2027-01-15T21:00:00Z"),
        NextFireCase("0 * * * *", after: "2027-01-15T00:00:00Z", in: "Asia/Kolkata", expected: "2027-01-15T00:30:00Z"),
        NextFireCase("0 0 1 1 *", after: "2027-06-01T00:00:00Z", in: "Asia/Kolkata", expected: "2027-12-31T18:30:00Z"),
        NextFireCase("0 0 * * *", after: "2027-06-01T12:00:00Z", in: "America/New_York", expected: "2027-06-02T04:00:00Z"),
        NextFireCase("0 8 * * *", after: "2027-01-15T07:00:00Z", in: "Europe/Berlin", expected: "2027-01-16T07:00:00Z"),
        // Daily 02:30 / 01:30 across DST in New York and Berlin.
        NextFireCase("30 2 * * *", after: "2027-03-14T05:00:00Z", in: "America/New_York", expected: "2027-03-14T07:00:00Z"),
        NextFireCase("30 2 * * *", after: "2027-03-14T07:00:00Z", in: "America/New_York", expected: "2027-03-15T06:30:00Z"),
        NextFireCase("30 2 * * *", after: "2027-11-07T04:00:00Z", in: "America/New_York", expected: "2027-11-07T07:30:00Z"),
        NextFireCase("30 1 * * *", after: "2027-11-07T04:00:00Z", in: "America/New_York", expected: "2027-11-07T05:30:00Z"),
        NextFireCase("30 1 * * *", after: "2027-11-07T05:30:00Z", in: "America/New_York", expected: "2027-11-08T06:30:00Z"),
        NextFireCase("30 2 * * *", after: "2027-03-28T00:00:00Z", in: "Europe/Berlin", expected: "2027-03-28T01:00:00Z"),
        NextFireCase("30 2 * * *", after: "2027-10-30T23:00:00Z", in: "Europe/Berlin", expected: "2027-10-31T00:30:00Z"),
        NextFireCase("30 2 * * *", after: "2027-10-31T00:30:00Z", in: "Europe/Berlin", expected: "2027-11-01T01:30:00Z"),
        // Hourly, quarter-hourly and every-minute jobs across DST in New York.
        NextFireCase("0 * * * *", after: "2027-03-14T06:00:00Z", in: "America/New_York", expected: "2027-03-14T07:00:00Z"),
        NextFireCase("0 * * * *", after: "2027-03-14T07:00:00Z", in: "America/New_York", expected: "2027-03-14T08:00:00Z"),
        NextFireCase("0 * * * *", after: "2027-11-07T05:00:00Z", in: "America/New_York", expected: "2027-11-07T07:00:00Z"),
        NextFireCase("*/15 * * * *", after: "2027-03-14T06:45:00Z", in: "America/New_York", expected: "2027-03-14T07:00:00Z"),
        NextFireCase("*/15 * * * *", after: "2027-03-14T07:00:00Z", in: "America/New_York", expected: "2027-03-14T07:15:00Z"),
        NextFireCase("* * * * *", after: "2027-11-07T05:59:00Z", in: "America/New_York", expected: "2027-11-07T07:00:00Z"),
        NextFireCase("* * * * *", after: "2027-11-07T06:30:00Z", in: "America/New_York", expected: "2027-11-07T07:00:00Z"),
        // Australia/Sydney: fall-back on 2027-04-04, spring-forward on 2027-10-03.
        NextFireCase("30 2 * * *", after: "2027-04-03T14:00:00Z", in: "Australia/Sydney", expected: "2027-04-03T15:30:00Z"),
        NextFireCase("30 2 * * *", after: "2027-10-02T15:00:00Z", in: "Australia/Sydney", expected: "2027-10-02T16:00:00Z"),
        // Australia/Lord_Howe moves its clocks by 30 minutes (+10:30 / +11:00).
        NextFireCase("15 2 * * *", after: "2027-10-02T13:00:00Z", in: "Australia/Lord_Howe", expected: "2027-10-02T15:30:00Z"),
        NextFireCase("45 1 * * *", after: "2027-04-03T13:00:00Z", in: "Australia/Lord_Howe", expected: "2027-04-03T14:45:00Z"),
        NextFireCase("45 1 * * *", after: "2027-04-03T14:45:00Z", in: "Australia/Lord_Howe", expected: "2027-04-04T15:15:00Z"),
        // Several matching wall times inside one New York gap collapse into one firing.
        NextFireCase("15,45 2 * * *", after: "2027-03-14T05:00:00Z", in: "America/New_York", expected: "2027-03-14T07:00:00Z"),
        NextFireCase("15,45 2 * * *", after: "2027-03-14T07:00:00Z", in: "America/New_York", expected: "2027-03-15T06:15:00Z"),
    ]

    @Test("Next run after an instant is the hand-checked UTC timestamp", arguments: cases)
    func nextRun(_ testCase: NextFireCase) {
        let crontab = ScheduleTestSupport.crontab(testCase.expression)
        let next = crontab.nextFire(
            after: ScheduleTestSupport.instant(testCase.after), in: ScheduleTestSupport.zone(testCase.zone))
        #expect(ScheduleTestSupport.text(next) == ScheduleTestSupport.text(ScheduleTestSupport.instant(testCase.expected)))
    }

    @Test("The keyword initialiser and the expression give the same next runs")
    func keywordAndExpressionAgree() throws {
        let keyword = try Crontab(minute: "0", hour: "10", dayOfWeek: "fri", dayOfMonth: "13")
        let expression = try Crontab(expression: "0 10 13 * fri")
        let start = ScheduleTestSupport.instant("2027-01-01T00:00:00Z")
        let utc = ScheduleTestSupport.zone("UTC")
        #expect(keyword.nextFire(after: start, in: utc) == expression.nextFire(after: start, in: utc))
        #expect(ScheduleTestSupport.text(keyword.nextFire(after: start, in: utc)) == "2027-08-13T10:00:00.000Z")
    }

    @Test("Successive runs of day_of_month=31 land only on 31-day months")
    func thirtyFirstSequence() {
        let crontab = ScheduleTestSupport.crontab("0 0 31 * *")
        let utc = ScheduleTestSupport.zone("UTC")
        var cursor = ScheduleTestSupport.instant("2027-01-01T00:00:00Z")
        var seen: [String] = []
        for _ in 0..<7 {
            cursor = crontab.nextFire(after: cursor, in: utc)
            seen.append(String(ScheduleTestSupport.text(cursor).prefix(10)))
        }
        #expect(seen == [
            "2027-01-31", "2027-03-31", "2027-05-31", "2027-07-31", "2027-08-31", "2027-10-31", "2027-12-31",
        ])
    }

    @Test("A rare schedule (Monday, February 29) is found decades ahead without brute force")
    func rareScheduleTerminates() {
        let crontab = ScheduleTestSupport.crontab("0 0 29 2 mon")
        let utc = ScheduleTestSupport.zone("UTC")
        // February 29 falls on a Monday in 2016, 2044, 2072, 2112 (2100 is not a leap year).
        #expect(crontab.nextFire(after: ScheduleTestSupport.instant("2016-03-01T00:00:00Z"), in: utc)
                == ScheduleTestSupport.instant("2044-02-29T00:00:00Z"))
        #expect(crontab.nextFire(after: ScheduleTestSupport.instant("2072-03-01T00:00:00Z"), in: utc)
                == ScheduleTestSupport.instant("2112-02-29T00:00:00Z"))
    }

    @Test("matches tests the wall-clock minute in the zone")
    func matchesWallClock() {
        let crontab = ScheduleTestSupport.crontab("30 2 * * mon-fri")
        let newYork = ScheduleTestSupport.zone("America/New_York")
        // 2027-01-15 (Friday) 02:30:45 EST = 07:30:45 UTC.
        #expect(crontab.matches(ScheduleTestSupport.instant("2027-01-15T07:30:45Z"), in: newYork))
        #expect(!crontab.matches(ScheduleTestSupport.instant("2027-01-15T07:31:00Z"), in: newYork))
        #expect(!crontab.matches(ScheduleTestSupport.instant("2027-01-15T07:30:00Z"), in: ScheduleTestSupport.zone("UTC")))
        // Saturday 02:30 EST.
        #expect(!crontab.matches(ScheduleTestSupport.instant("2027-01-16T07:30:00Z"), in: newYork))
    }
}
