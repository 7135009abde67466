import Foundation
import Testing

@testable import TaskQ

@Suite("Crontab parsing errors")
struct CrontabParsingErrorTests {
    struct ErrorCase: Sendable, CustomTestStringConvertible {
        let field: CrontabField
        let text: String
        let expected: ScheduleError
        var testDescription: String { "\(field.celeryName) \"\(text)\"" }
    }

    static let errorCases: [ErrorCase] = {
        func make(_ field: CrontabField, _ text: String, _ expected: (String, String) -> ScheduleError) -> ErrorCase {
            ErrorCase(field: field, text: text, expected: expected(field.celeryName, text))
        }
        return [
            make(.minute, "") { .empty(field: $0, value: $1) },
            make(.hour, "   ") { .empty(field: $0, value: $1) },
            make(.minute, "1,,2") { .emptyListItem(field: $0, value: $1) },
            make(.minute, "1,") { .emptyListItem(field: $0, value: $1) },
            make(.dayOfWeek, ",mon") { .emptyListItem(field: $0, value: $1) },
            make(.minute, "60") { .outOfRange(field: $0, value: $1, token: "60", lowest: 0, highest: 59) },
            make(.minute, "1-75") { .outOfRange(field: $0, value: $1, token: "75", lowest: 0, highest: 59) },
            make(.minute, "99999999999999999999999") {
                .outOfRange(field: $0, value: $1, token: "99999999999999999999999", lowest: 0, highest: 59)
            },
            make(.hour, "24") { .outOfRange(field: $0, value: $1, token: "24", lowest: 0, highest: 23) },
            make(.dayOfWeek, "7") { .outOfRange(field: $0, value: $1, token: "7", lowest: 0, highest: 6) },
            make(.dayOfWeek, "mon-7") { .outOfRange(field: $0, value: $1, token: "7", lowest: 0, highest: 6) },
            make(.dayOfMonth, "0") { .outOfRange(field: $0, value: $1, token: "0", lowest: 1, highest: 31) },
            make(.dayOfMonth, "32") { .outOfRange(field: $0, value: $1, token: "32", lowest: 1, highest: 31) },
            make(.monthOfYear, "0") { .outOfRange(field: $0, value: $1, token: "0", lowest: 1, highest: 12) },
            make(.monthOfYear, "13") { .outOfRange(field: $0, value: $1, token: "13", lowest: 1, highest: 12) },
            make(.minute, "x") { .notANumber(field: $0, value: $1, token: "x", lowest: 0, highest: 59) },
            make(.minute, "mon") { .notANumber(field: $0, value: $1, token: "mon", lowest: 0, highest: 59) },
            make(.hour, "1.5") { .notANumber(field: $0, value: $1, token: "1.5", lowest: 0, highest: 23) },
            make(.hour, "+3") { .notANumber(field: $0, value: $1, token: "+3", lowest: 0, highest: 23) },
            make(.dayOfMonth, "jan") { .notANumber(field: $0, value: $1, token: "jan", lowest: 1, highest: 31) },
            make(.dayOfWeek, "mon-fro") { .notADayName(field: $0, value: $1, token: "fro") },
            make(.dayOfWeek, "mo") { .notADayName(field: $0, value: $1, token: "mo") },
            make(.dayOfWeek, "jan") { .notADayName(field: $0, value: $1, token: "jan") },
            make(.dayOfWeek, "mondays") { .notADayName(field: $0, value: $1, token: "mondays") },
            make(.monthOfYear, "foo") { .notAMonthName(field: $0, value: $1, token: "foo") },
            make(.monthOfYear, "ja") { .notAMonthName(field: $0, value: $1, token: "ja") },
            make(.monthOfYear, "mon") { .notAMonthName(field: $0, value: $1, token: "mon") },
            make(.minute, "*/") { .missingStep(field: $0, value: $1, item: "*/") },
            make(.minute, "1-5/") { .missingStep(field: $0, value: $1, item: "1-5/") },
            make(.minute, "*/x") { .stepNotANumber(field: $0, value: $1, item: "*/x", step: "x") },
            make(.minute, "*/-1") { .stepNotANumber(field: $0, value: $1, item: "*/-1", step: "-1") },
            make(.minute, "*/0") { .stepIsZero(field: $0, value: $1, item: "*/0") },
            make(.hour, "1-5/0") { .stepIsZero(field: $0, value: $1, item: "1-5/0") },
            make(.minute, "5/10") {
                .stepWithoutRange(field: $0, value: $1, item: "5/10", start: "5", step: "10", highest: 59)
            },
            make(.minute, "1-2-3") { .malformedItem(field: $0, value: $1, item: "1-2-3") },
            make(.minute, "-5") { .malformedItem(field: $0, value: $1, item: "-5") },
            make(.minute, "5-") { .malformedItem(field: $0, value: $1, item: "5-") },
            make(.minute, "*-5") { .malformedItem(field: $0, value: $1, item: "*-5") },
            make(.minute, "**") { .malformedItem(field: $0, value: $1, item: "**") },
            make(.minute, "1-5/2/3") { .malformedItem(field: $0, value: $1, item: "1-5/2/3") },
        ]
    }()

    @Test("Every kind of bad field value is refused with its field, value and reason", arguments: errorCases)
    func badFieldIsRefused(_ testCase: ErrorCase) {
        var caught: ScheduleError?
        do throws(ScheduleError) {
            _ = try CrontabFieldParser.parse(testCase.text, as: testCase.field)
        } catch {
            caught = error
        }
        #expect(caught == testCase.expected)
        #expect(caught?.field == testCase.field.celeryName)
        #expect(caught?.value == testCase.text)
    }

    @Test("The initialiser reports the bad field by its Celery name, with the value as written")
    func initReportsField() {
        let error = ScheduleTestSupport.crontabError(minute: "0", hour: "9", dayOfWeek: "mon-fro")
        #expect(error?.field == "day_of_week")
        #expect(error?.value == "mon-fro")
        #expect(error?.description == "day_of_week \"mon-fro\": \"fro\" is not a day name (use sun…sat or 0…6)")
        #expect(ScheduleTestSupport.crontabError(monthOfYear: "13")?.field == "month_of_year")
        #expect(ScheduleTestSupport.crontabError(dayOfMonth: "0")?.field == "day_of_month")
        #expect(ScheduleTestSupport.crontabError(hour: "24")?.field == "hour")
        #expect(ScheduleTestSupport.crontabError(minute: "")?.field == "minute")
    }

    @Test("Error descriptions say what failed and why")
    func descriptionsExplain() {
        #expect(ScheduleTestSupport.crontabError(minute: "75")?.description
                == "minute \"75\": 75 is out of range 0…59")
        #expect(ScheduleTestSupport.crontabError(dayOfWeek: "7")?.description
                == "day_of_week \"7\": 7 is out of range 0…6; Sunday is 0, 7 is not accepted")
        #expect(ScheduleTestSupport.crontabError(minute: "*/0")?.description
                == "minute \"*/0\": \"*/0\" has a step of zero")
        #expect(ScheduleTestSupport.crontabError(minute: "")?.description
                == "minute \"\": is empty (use * for every value)")
        #expect(ScheduleTestSupport.crontabError(minute: "5/10")?.description.contains("5-59/10") == true)
    }

    @Test("A day_of_month that no month in month_of_year has is refused at init")
    func impossibleDayIsRefused() {
        let february = ScheduleTestSupport.crontabError(dayOfMonth: "30,31", monthOfYear: "2")
        #expect(february?.field == "day_of_month")
        #expect(february?.value == "30,31")
        #expect(february?.description == "day_of_month \"30,31\": never matches: February has at most 29 days")
        #expect(ScheduleTestSupport.crontabError(dayOfMonth: "30", monthOfYear: "feb") != nil)
        let april = ScheduleTestSupport.crontabError(dayOfMonth: "31", monthOfYear: "apr")
        #expect(april?.description == "day_of_month \"31\": never matches: April has only 30 days")
        let shortMonths = ScheduleTestSupport.crontabError(dayOfMonth: "31", monthOfYear: "4,6,9,11")
        #expect(shortMonths?.field == "day_of_month")
        #expect(shortMonths?.description.contains("no month in month_of_year \"4,6,9,11\" has more than 30 days")
                == true)
        // Possible combinations are fine.
        #expect(ScheduleTestSupport.crontabError(dayOfMonth: "29", monthOfYear: "2") == nil)
        #expect(ScheduleTestSupport.crontabError(dayOfMonth: "31", monthOfYear: "4,6,9,12") == nil)
        #expect(ScheduleTestSupport.crontabError(dayOfMonth: "29-31", monthOfYear: "2") == nil)
    }

    @Test("An expression without exactly five fields is refused, naming the expression")
    func wrongFieldCount() {
        for (expression, found) in [("0 9 * *", 4), ("", 0), ("* * * * * *", 6), ("   ", 0)] {
            var caught: ScheduleError?
            do throws(ScheduleError) {
                _ = try Crontab(expression: expression)
            } catch {
                caught = error
            }
            #expect(caught == .wrongFieldCount(expression: expression, found: found))
            #expect(caught?.field == "expression")
            #expect(caught?.value == expression)
        }
    }

    @Test("A bad field inside an expression is reported by its own name")
    func expressionFieldError() {
        var caught: ScheduleError?
        do throws(ScheduleError) {
            _ = try Crontab(expression: "0 9 * * mon-fro")
        } catch {
            caught = error
        }
        #expect(caught?.field == "day_of_week")
        #expect(caught?.value == "mon-fro")
    }
}
