/// One of the five crontab fields, with its Celery name, its range of values
/// and, for days of the week and months, the names it accepts.
enum CrontabField: Sendable, CaseIterable {
    case minute
    case hour
    case dayOfWeek
    case dayOfMonth
    case monthOfYear

    /// The field's name as Celery spells it (`day_of_week`, …), used in errors.
    var celeryName: String {
        switch self {
        case .minute: "minute"
        case .hour: "hour"
        case .dayOfWeek: "day_of_week"
        case .dayOfMonth: "day_of_month"
        case .monthOfYear: "month_of_year"
        }
    }

    /// The smallest value the field accepts.
    var lowest: Int {
        switch self {
        case .minute, .hour, .dayOfWeek: 0
        case .dayOfMonth, .monthOfYear: 1
        }
    }

    /// The largest value the field accepts.
    var highest: Int {
        switch self {
        case .minute: 59
        case .hour: 23
        case .dayOfWeek: 6
        case .dayOfMonth: 31
        case .monthOfYear: 12
        }
    }

    /// Full English names of the values, lowercased, the first one meaning
    /// `lowest`; nil for numeric-only fields.
    var fullNames: [String]? {
        switch self {
        case .dayOfWeek: Self.dayNames.map { $0.lowercased() }
        case .monthOfYear: Self.monthNames.map { $0.lowercased() }
        case .minute, .hour, .dayOfMonth: nil
        }
    }

    /// The value a name stands for, or nil when it is not a name this field
    /// knows.
    ///
    /// Celery looks a name up by its first three letters (`mon`, `monday`).
    /// This accepts the three-letter abbreviation or any longer beginning of
    /// the full English name (`tue`, `tues`, `tuesday`, `sept`, `september`),
    /// in any letter case, and refuses other words.
    func value(ofName token: String) -> Int? {
        guard let names = fullNames else { return nil }
        let word = token.lowercased()
        guard word.count >= 3 else { return nil }
        guard let index = names.firstIndex(where: { $0.hasPrefix(word) }) else { return nil }
        return lowest + index
    }

    /// English day names, Sunday first (Sunday is day 0).
    static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// English month names, January first (January is month 1).
    static let monthNames = [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ]
}
