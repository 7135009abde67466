import FoundationEssentials

/// Parses one crontab field the way Celery's `crontab_parser` does.
///
/// Grammar (whitespace around the field and around each list item is
/// ignored; Celery's `int()` ignores it too):
///
///     field := item ("," item)*
///     item  := base ("/" step)?      -- a step needs "*" or a range as base
///     base  := "*" | value | value "-" value
///     value := digits | name         -- names only for day_of_week, month_of_year
///     step  := digits (not zero)
///
/// Facts from Celery (`celery/schedules.py`, `crontab_parser`):
/// - `*/n` and `a-b/n` take every n-th value of the expanded list, starting
///   with its first element.
/// - A range whose start is after its end wraps around the field's maximum:
///   `fri-mon` is fri, sat, sun, mon; `22-2/2` on hours is 22, 0, 2.
/// - `5/10` (a step after a single value) is refused.
/// - Day of week is 0…6 with Sunday = 0; 7 is refused.
/// - Empty list items, a missing step and a step of zero are refused.
///
/// Deliberate differences: Celery accepts month names in every field and day
/// names in every field except where they collide (so `minute="mar"` is 3);
/// here day names are accepted only in `day_of_week` and month names only in
/// `month_of_year`. Celery ignores junk after a well-formed prefix
/// (`1-5/2/3`); here that is an error.
enum CrontabFieldParser {
    /// Expands `text` into the set of values it selects for `field`.
    static func parse(_ text: String, as field: CrontabField) throws(ScheduleError) -> CrontabValueSet {
        let context = Context(field: field, text: text)
        let trimmed = text.trimmed()
        guard !trimmed.isEmpty else {
            throw .empty(field: field.celeryName, value: text)
        }
        var result = CrontabValueSet()
        for rawItem in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let item = rawItem.trimmed()
            guard !item.isEmpty else {
                throw .emptyListItem(field: field.celeryName, value: text)
            }
            for value in try context.expand(item: item) {
                result.insert(value)
            }
        }
        return result
    }

    private struct Context {
        let field: CrontabField
        let text: String

        var name: String { field.celeryName }

        func expand(item: String) throws(ScheduleError) -> [Int] {
            let slashParts = item.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard slashParts.count <= 2 else {
                throw .malformedItem(field: name, value: text, item: item)
            }
            let base = slashParts[0]
            let step = try slashParts.count == 2 ? parseStep(slashParts[1], item: item) : 1
            let values: [Int]
            if base == "*" {
                values = Array(field.lowest...field.highest)
            } else {
                let dashParts = base.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                switch dashParts.count {
                case 1:
                    let single = try parseValue(dashParts[0], item: item)
                    if slashParts.count == 2 {
                        throw .stepWithoutRange(
                            field: name, value: text, item: item,
                            start: dashParts[0], step: slashParts[1], highest: field.highest)
                    }
                    return [single]
                case 2 where !dashParts[0].isEmpty && !dashParts[1].isEmpty:
                    let start = try parseValue(dashParts[0], item: item)
                    let end = try parseValue(dashParts[1], item: item)
                    values = expandRange(from: start, to: end)
                default:
                    throw .malformedItem(field: name, value: text, item: item)
                }
            }
            return stride(from: 0, to: values.count, by: step).map { values[$0] }
        }

        /// `start...end`, or, when `start > end`, Celery's wrap-around:
        /// `start...highest` followed by `lowest...end`.
        func expandRange(from start: Int, to end: Int) -> [Int] {
            if start <= end { return Array(start...end) }
            return Array(start...field.highest) + Array(field.lowest...end)
        }

        func parseStep(_ token: String, item: String) throws(ScheduleError) -> Int {
            guard !token.isEmpty else {
                throw .missingStep(field: name, value: text, item: item)
            }
            guard Self.isDigits(token) else {
                throw .stepNotANumber(field: name, value: text, item: item, step: token)
            }
            // A step longer than any field selects only the first value.
            let step = Int(token) ?? Int.max
            guard step > 0 else {
                throw .stepIsZero(field: name, value: text, item: item)
            }
            return step
        }

        func parseValue(_ token: String, item: String) throws(ScheduleError) -> Int {
            guard !token.isEmpty, !token.contains("*") else {
                throw .malformedItem(field: name, value: text, item: item)
            }
            if Self.isDigits(token) {
                guard let number = Int(token), (field.lowest...field.highest).contains(number) else {
                    throw .outOfRange(
                        field: name, value: text, token: Self.withoutLeadingZeros(token),
                        lowest: field.lowest, highest: field.highest)
                }
                return number
            }
            if let named = field.value(ofName: token) {
                return named
            }
            switch field {
            case .dayOfWeek:
                throw .notADayName(field: name, value: text, token: token)
            case .monthOfYear:
                throw .notAMonthName(field: name, value: text, token: token)
            case .minute, .hour, .dayOfMonth:
                throw .notANumber(
                    field: name, value: text, token: token, lowest: field.lowest, highest: field.highest)
            }
        }

        /// True for a non-empty run of the ten ASCII digits (no signs, no
        /// other Unicode digits).
        static func isDigits(_ token: String) -> Bool {
            !token.isEmpty && token.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        }

        static func withoutLeadingZeros(_ digits: String) -> String {
            let trimmed = digits.drop { $0 == "0" }
            return trimmed.isEmpty ? "0" : String(trimmed)
        }
    }
}
