import Foundation
import Testing

@testable import TaskQ

@Suite("Crontab field parsing")
struct CrontabParsingTests {
    struct FieldCase: Sendable, CustomTestStringConvertible {
        let field: CrontabField
        let text: String
        let expected: [Int]
        var testDescription: String { "\(field.celeryName) \"\(text)\"" }
    }

    static let fieldCases: [FieldCase] = [
        // minute
        FieldCase(field: .minute, text: "*", expected: Array(0...59)),
        FieldCase(field: .minute, text: "5", expected: [5]),
        FieldCase(field: .minute, text: "007", expected: [7]),
        FieldCase(field: .minute, text: "1,2,5", expected: [1, 2, 5]),
        FieldCase(field: .minute, text: "1-5", expected: [1, 2, 3, 4, 5]),
        FieldCase(field: .minute, text: "5-5", expected: [5]),
        FieldCase(field: .minute, text: "*/15", expected: [0, 15, 30, 45]),
        FieldCase(field: .minute, text: "*/1", expected: Array(0...59)),
        FieldCase(field: .minute, text: "*/100", expected: [0]),
        FieldCase(field: .minute, text: "1-30/5", expected: [1, 6, 11, 16, 21, 26]),
        FieldCase(field: .minute, text: "0-30/10", expected: [0, 10, 20, 30]),
        FieldCase(field: .minute, text: "50-10/5", expected: [0, 5, 10, 50, 55]),
        FieldCase(field: .minute, text: "58-1", expected: [0, 1, 58, 59]),
        FieldCase(field: .minute, text: "1-5,3-7", expected: [1, 2, 3, 4, 5, 6, 7]),
        FieldCase(field: .minute, text: " 1, 2 ", expected: [1, 2]),
        FieldCase(
            field: .minute, text: "1,13,30-45,50-59/2",
            expected: [1, 13] + Array(30...45) + [50, 52, 54, 56, 58]),
        // hour
        FieldCase(field: .hour, text: "*", expected: Array(0...23)),
        FieldCase(field: .hour, text: "23", expected: [23]),
        FieldCase(field: .hour, text: "9-17/2", expected: [9, 11, 13, 15, 17]),
        FieldCase(field: .hour, text: "*/4", expected: [0, 4, 8, 12, 16, 20]),
        FieldCase(field: .hour, text: "0,8-17/2", expected: [0, 8, 10, 12, 14, 16]),
        FieldCase(field: .hour, text: "22-2", expected: [0, 1, 2, 22, 23]),
        FieldCase(field: .hour, text: "22-2/2", expected: [0, 2, 22]),
        // day_of_week
        FieldCase(field: .dayOfWeek, text: "*", expected: Array(0...6)),
        FieldCase(field: .dayOfWeek, text: "0", expected: [0]),
        FieldCase(field: .dayOfWeek, text: "6", expected: [6]),
        FieldCase(field: .dayOfWeek, text: "sun", expected: [0]),
        FieldCase(field: .dayOfWeek, text: "sat", expected: [6]),
        FieldCase(field: .dayOfWeek, text: "mon-fri", expected: [1, 2, 3, 4, 5]),
        FieldCase(field: .dayOfWeek, text: "MON-Fri", expected: [1, 2, 3, 4, 5]),
        FieldCase(field: .dayOfWeek, text: "mon,wed,fri", expected: [1, 3, 5]),
        FieldCase(field: .dayOfWeek, text: "fri-mon", expected: [0, 1, 5, 6]),
        FieldCase(field: .dayOfWeek, text: "sat-sun", expected: [0, 6]),
        FieldCase(field: .dayOfWeek, text: "monday", expected: [1]),
        FieldCase(field: .dayOfWeek, text: "Thursday", expected: [4]),
        FieldCase(field: .dayOfWeek, text: "tues,thurs", expected: [2, 4]),
        FieldCase(field: .dayOfWeek, text: "*/2", expected: [0, 2, 4, 6]),
        FieldCase(field: .dayOfWeek, text: "mon-fri/2", expected: [1, 3, 5]),
        FieldCase(field: .dayOfWeek, text: "1-5", expected: [1, 2, 3, 4, 5]),
        FieldCase(field: .dayOfWeek, text: "sun,3", expected: [0, 3]),
        // day_of_month
        FieldCase(field: .dayOfMonth, text: "*", expected: Array(1...31)),
        FieldCase(field: .dayOfMonth, text: "31", expected: [31]),
        FieldCase(field: .dayOfMonth, text: "*/3", expected: [1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31]),
        FieldCase(field: .dayOfMonth, text: "2-30/2", expected: Array(stride(from: 2, through: 30, by: 2))),
        FieldCase(field: .dayOfMonth, text: "1-7,15-21", expected: Array(1...7) + Array(15...21)),
        FieldCase(field: .dayOfMonth, text: "28-3", expected: [1, 2, 3, 28, 29, 30, 31]),
        // month_of_year
        FieldCase(field: .monthOfYear, text: "*", expected: Array(1...12)),
        FieldCase(field: .monthOfYear, text: "12", expected: [12]),
        FieldCase(field: .monthOfYear, text: "jan", expected: [1]),
        FieldCase(field: .monthOfYear, text: "JAN,jul", expected: [1, 7]),
        FieldCase(field: .monthOfYear, text: "*/2", expected: [1, 3, 5, 7, 9, 11]),
        FieldCase(field: .monthOfYear, text: "*/3", expected: [1, 4, 7, 10]),
        FieldCase(field: .monthOfYear, text: "2-12/2", expected: [2, 4, 6, 8, 10, 12]),
        FieldCase(field: .monthOfYear, text: "nov-feb", expected: [1, 2, 11, 12]),
        FieldCase(field: .monthOfYear, text: "mar-may", expected: [3, 4, 5]),
        FieldCase(field: .monthOfYear, text: "sept,December", expected: [9, 12]),
    ]

    @Test("Each field syntax expands to Celery's values", arguments: fieldCases)
    func fieldExpands(_ testCase: FieldCase) throws {
        let values = try CrontabFieldParser.parse(testCase.text, as: testCase.field)
        #expect(values.sortedValues == testCase.expected)
    }

    @Test("The keyword initialiser parses every field and keeps the text as written")
    func keywordInitKeepsText() throws {
        let crontab = try Crontab(
            minute: "0,30", hour: "9-17/2", dayOfWeek: "Mon-Fri", dayOfMonth: "1-7", monthOfYear: "jan")
        #expect(crontab.minute == "0,30")
        #expect(crontab.hour == "9-17/2")
        #expect(crontab.dayOfWeek == "Mon-Fri")
        #expect(crontab.dayOfMonth == "1-7")
        #expect(crontab.monthOfYear == "jan")
        #expect(crontab.minutes.sortedValues == [0, 30])
        #expect(crontab.hours.sortedValues == [9, 11, 13, 15, 17])
        #expect(crontab.daysOfWeek.sortedValues == [1, 2, 3, 4, 5])
        #expect(crontab.daysOfMonth.sortedValues == Array(1...7))
        #expect(crontab.months.sortedValues == [1])
    }

    @Test("Defaults are every value, as in Celery's crontab()")
    func defaultsAreEvery() throws {
        let crontab = try Crontab()
        #expect(crontab.minute == "*" && crontab.hour == "*" && crontab.dayOfWeek == "*")
        #expect(crontab.dayOfMonth == "*" && crontab.monthOfYear == "*")
        #expect(crontab.minutes.count == 60 && crontab.hours.count == 24 && crontab.daysOfWeek.count == 7)
        #expect(crontab.daysOfMonth.count == 31 && crontab.months.count == 12)
    }

    @Test("A five-field expression is read in cron order: minute hour day-of-month month day-of-week")
    func expressionFieldOrder() throws {
        let crontab = try Crontab(expression: "0 9-17/2 15 jun mon-fri")
        #expect(crontab.minute == "0")
        #expect(crontab.hour == "9-17/2")
        #expect(crontab.dayOfMonth == "15")
        #expect(crontab.monthOfYear == "jun")
        #expect(crontab.dayOfWeek == "mon-fri")
        #expect(crontab == (try Crontab(minute: "0", hour: "9-17/2", dayOfWeek: "mon-fri", dayOfMonth: "15",
                                        monthOfYear: "jun")))
    }

    @Test("An expression may separate its fields by several spaces or tabs")
    func expressionWhitespace() throws {
        let crontab = try Crontab(expression: "  30\t2  *  * *  ")
        #expect(crontab.minute == "30" && crontab.hour == "2")
        #expect(crontab.minutes.sortedValues == [30] && crontab.hours.sortedValues == [2])
    }

    @Test("Crontabs selecting the same values are equal and hash alike, as Celery compares them")
    func semanticEquality() throws {
        let steps = try Crontab(minute: "*/15", dayOfWeek: "mon-fri")
        let list = try Crontab(minute: "0,15,30,45", dayOfWeek: "1,2,3,4,5")
        #expect(steps == list)
        #expect(steps.hashValue == list.hashValue)
        #expect(steps != (try Crontab(minute: "*/20", dayOfWeek: "mon-fri")))
        #expect(Set([steps, list]).count == 1)
    }

    @Test("A day_of_month that exists only in leap-year February is accepted")
    func februaryTwentyNinthIsValid() throws {
        let crontab = try Crontab(minute: "0", hour: "0", dayOfMonth: "29", monthOfYear: "2")
        #expect(crontab.daysOfMonth.sortedValues == [29])
    }
}
