import Foundation
import Testing

@testable import TaskQ

@Suite("Crontab descriptions")
struct CrontabDescriptionTests {
    struct DescriptionCase: Sendable, CustomTestStringConvertible {
        let expression: String
        let words: String
        var testDescription: String { expression }
    }

    static let cases: [DescriptionCase] = [
        DescriptionCase(expression: "* * * * *", words: "every minute"),
        DescriptionCase(expression: "*/15 * * * *", words: "every 15 minutes"),
        DescriptionCase(expression: "*/7 * * * *", words: "every 7th minute from 0 through 56 past every hour"),
        DescriptionCase(expression: "0-30 * * * *", words: "every minute from 0 through 30 past every hour"),
        DescriptionCase(expression: "0 * * * *", words: "at minute 0 past every hour"),
        DescriptionCase(expression: "30 2 * * *", words: "at 02:30"),
        DescriptionCase(expression: "0,30 9 * * *", words: "at 09:00 and 09:30"),
        DescriptionCase(expression: "5 */6 * * *", words: "at 00:05, 06:05, 12:05 and 18:05"),
        DescriptionCase(expression: "0 9 1 * *", words: "at 09:00 on day 1 of the month"),
        DescriptionCase(
            expression: "0 9-17/2 * * mon-fri",
            words: "at minute 0 past every 2nd hour from 9 through 17, Monday through Friday"),
        DescriptionCase(expression: "0 */3 * * *", words: "at minute 0 past every 3rd hour"),
        DescriptionCase(expression: "*/10 9-17 * * *", words: "every 10 minutes past every hour from 9 through 17"),
        DescriptionCase(expression: "* 9 * * *", words: "every minute past hour 9"),
        DescriptionCase(expression: "15 0,8-17/2 * * *", words: "at minute 15 past hours 0, 8, 10, 12, 14 and 16"),
        DescriptionCase(
            expression: "1,13,30-45,50-59/2 * * * *",
            words: "at minutes 1, 13, 30 through 45, 50, 52, 54, 56 and 58 past every hour"),
        DescriptionCase(expression: "0 0 * * fri-mon", words: "at 00:00, Friday through Monday"),
        DescriptionCase(expression: "0 12 * * mon,thu", words: "at 12:00, on Monday and Thursday"),
        DescriptionCase(expression: "0 12 * * sun", words: "at 12:00, on Sunday"),
        DescriptionCase(
            expression: "0 8 1-7 * mon", words: "at 08:00 on days 1 through 7 of the month, only on Monday"),
        DescriptionCase(expression: "0 0 1,15 * *", words: "at 00:00 on days 1 and 15 of the month"),
        DescriptionCase(
            expression: "0 0 2-30/2 * *", words: "at 00:00 on every 2nd day of the month from 2 through 30"),
        DescriptionCase(
            expression: "0 0 1 jan,jul *", words: "at 00:00 on day 1 of the month, in January and July"),
        DescriptionCase(
            expression: "0 0 1 nov-feb *", words: "at 00:00 on day 1 of the month, November through February"),
        DescriptionCase(expression: "0 0 29 2 *", words: "at 00:00 on day 29 of the month, in February"),
    ]

    @Test("A crontab reads as English words", arguments: cases)
    func words(_ testCase: DescriptionCase) {
        #expect(ScheduleTestSupport.crontab(testCase.expression).description == testCase.words)
    }

    @Test("Ordinals use st, nd, rd and th correctly")
    func ordinals() {
        #expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 30].map(Crontab.ordinal)
                == ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "30th"])
    }
}
