/// A periodic schedule that was refused: which field, the value exactly as
/// written, and why.
///
/// `description` reads like `day_of_week "mon-fro": "fro" is not a day name
/// (use sun…sat or 0…6)`. Two errors are equal when field, value and reason
/// are equal.
public struct ScheduleError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The refused field by its Celery name: `minute`, `hour`, `day_of_week`,
    /// `day_of_month`, `month_of_year`, or `expression` (a five-field crontab
    /// string), `every` and `relative` (interval schedules), `timezone`.
    public let field: String

    /// The field's value exactly as it was given.
    public let value: String

    private let code: Code

    private enum Code: Equatable, Sendable {
        case empty
        case emptyListItem
        case notANumber(token: String, lowest: Int, highest: Int)
        case notADayName(token: String)
        case notAMonthName(token: String)
        case outOfRange(token: String, lowest: Int, highest: Int)
        case missingStep(item: String)
        case stepNotANumber(item: String, step: String)
        case stepIsZero(item: String)
        case stepWithoutRange(item: String, start: String, step: String, highest: Int)
        case malformedItem(item: String)
        case neverMatches(reason: String)
        case wrongFieldCount(found: Int)
        case intervalNotPositive
        case intervalNotFinite
        case relativeWithAnchor
        case unknownTimeZone
        case invalid(reason: String)
    }

    private init(field: String, value: String, code: Code) {
        self.field = field
        self.value = value
        self.code = code
    }

    /// What failed and why, naming the field and the value as written.
    public var description: String {
        "\(field) \"\(value)\": \(reason)"
    }

    private var reason: String {
        switch code {
        case .empty:
            return "is empty (use * for every value)"
        case .emptyListItem:
            return "has an empty item in its comma-separated list"
        case .notANumber(let token, let lowest, let highest):
            return "\"\(token)\" is not a number (use \(lowest)…\(highest))"
        case .notADayName(let token):
            return "\"\(token)\" is not a day name (use sun…sat or 0…6)"
        case .notAMonthName(let token):
            return "\"\(token)\" is not a month name (use jan…dec or 1…12)"
        case .outOfRange(let token, let lowest, let highest):
            let note = field == "day_of_week" && token == "7" ? "; Sunday is 0, 7 is not accepted" : ""
            return "\(token) is out of range \(lowest)…\(highest)\(note)"
        case .missingStep(let item):
            return "\"\(item)\" has no step after the slash"
        case .stepNotANumber(let item, let step):
            return "\"\(item)\": step \"\(step)\" is not a whole number"
        case .stepIsZero(let item):
            return "\"\(item)\" has a step of zero"
        case .stepWithoutRange(let item, let start, let step, let highest):
            return "\"\(item)\" puts a step after a single value; "
                + "a step needs a range or * before the slash (write \(start)-\(highest)/\(step) or */\(step))"
        case .malformedItem(let item):
            return "\"\(item)\" is not a value, a range a-b, or *, optionally followed by /step"
        case .neverMatches(let reason):
            return "never matches: \(reason)"
        case .wrongFieldCount(let found):
            return "expected 5 fields separated by spaces "
                + "(minute hour day_of_month month_of_year day_of_week), found \(found)"
        case .intervalNotPositive:
            return "the interval must be greater than zero seconds"
        case .intervalNotFinite:
            return "the interval must be a finite number of seconds"
        case .relativeWithAnchor:
            return "relative rounding cannot be combined with an anchor; use one or the other"
        case .unknownTimeZone:
            return "is not a known IANA time zone name (for example UTC, Europe/Berlin, America/New_York)"
        case .invalid(let reason):
            return reason
        }
    }
}

extension ScheduleError {
    static func empty(field: String, value: String) -> Self {
        Self(field: field, value: value, code: .empty)
    }

    static func emptyListItem(field: String, value: String) -> Self {
        Self(field: field, value: value, code: .emptyListItem)
    }

    static func notANumber(field: String, value: String, token: String, lowest: Int, highest: Int) -> Self {
        Self(field: field, value: value, code: .notANumber(token: token, lowest: lowest, highest: highest))
    }

    static func notADayName(field: String, value: String, token: String) -> Self {
        Self(field: field, value: value, code: .notADayName(token: token))
    }

    static func notAMonthName(field: String, value: String, token: String) -> Self {
        Self(field: field, value: value, code: .notAMonthName(token: token))
    }

    static func outOfRange(field: String, value: String, token: String, lowest: Int, highest: Int) -> Self {
        Self(field: field, value: value, code: .outOfRange(token: token, lowest: lowest, highest: highest))
    }

    static func missingStep(field: String, value: String, item: String) -> Self {
        Self(field: field, value: value, code: .missingStep(item: item))
    }

    static func stepNotANumber(field: String, value: String, item: String, step: String) -> Self {
        Self(field: field, value: value, code: .stepNotANumber(item: item, step: step))
    }

    static func stepIsZero(field: String, value: String, item: String) -> Self {
        Self(field: field, value: value, code: .stepIsZero(item: item))
    }

    static func stepWithoutRange(
        field: String, value: String, item: String, start: String, step: String, highest: Int
    ) -> Self {
        Self(
            field: field, value: value,
            code: .stepWithoutRange(item: item, start: start, step: step, highest: highest))
    }

    static func malformedItem(field: String, value: String, item: String) -> Self {
        Self(field: field, value: value, code: .malformedItem(item: item))
    }

    static func neverMatches(field: String, value: String, reason: String) -> Self {
        Self(field: field, value: value, code: .neverMatches(reason: reason))
    }

    static func wrongFieldCount(expression: String, found: Int) -> Self {
        Self(field: "expression", value: expression, code: .wrongFieldCount(found: found))
    }

    static func intervalNotPositive(value: String) -> Self {
        Self(field: "every", value: value, code: .intervalNotPositive)
    }

    static func intervalNotFinite(value: String) -> Self {
        Self(field: "every", value: value, code: .intervalNotFinite)
    }

    static func relativeWithAnchor() -> Self {
        Self(field: "relative", value: "true", code: .relativeWithAnchor)
    }

    static func unknownTimeZone(name: String) -> Self {
        Self(field: "timezone", value: name, code: .unknownTimeZone)
    }

    /// Any other refused field of an entry (its name, task, priority, expiry…), with why.
    static func invalid(field: String, value: String, reason: String) -> Self {
        Self(field: field, value: value, code: .invalid(reason: reason))
    }
}
