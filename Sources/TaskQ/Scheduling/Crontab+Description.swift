extension Crontab {
    /// The schedule in English, as a monitor shows it, built from the
    /// expanded values so it is exact: `"every minute"`, `"every 15 minutes"`,
    /// `"at 02:30"`, `"at 09:00 on day 1 of the month"`, `"at minute 0 past
    /// every 2nd hour from 9 through 17, Monday through Friday"`.
    public var description: String {
        var sentence = timePhrase
        let dayOfMonthPhrase = Self.dayOfMonthPhrase(daysOfMonth)
        if let dayOfMonthPhrase {
            sentence += " " + dayOfMonthPhrase
        }
        if let weekdays = Self.namedPhrase(daysOfWeek, field: .dayOfWeek, names: CrontabField.dayNames) {
            sentence += (dayOfMonthPhrase == nil ? ", " : ", only ") + weekdays
        }
        if let monthPhrase = Self.namedPhrase(months, field: .monthOfYear, names: CrontabField.monthNames) {
            sentence += ", " + monthPhrase
        }
        return sentence
    }

    /// The minute and hour part, e.g. `"at 09:00 and 17:30"` or `"every 15 minutes past hour 9"`.
    private var timePhrase: String {
        let minutePattern = CrontabValuePattern(minutes, field: .minute)
        let hourPattern = CrontabValuePattern(hours, field: .hour)
        if minutePattern != .every, hourPattern != .every, minutes.count * hours.count <= 4 {
            let times = hours.sortedValues.flatMap { hour in
                minutes.sortedValues.map { minute in Self.clockTime(hour: hour, minute: minute) }
            }
            return "at " + Self.joinedList(times)
        }
        let minutePart: String
        switch minutePattern {
        case .every: minutePart = "every minute"
        case .single(let value): minutePart = "at minute \(value)"
        case .everyStep(let step): minutePart = "every \(step) minutes"
        case .progression(let start, let step, let end):
            minutePart = "every \(Self.ordinal(step)) minute from \(start) through \(end)"
        case .list(let runs):
            if runs.count == 1, let run = runs.first, run.count >= 3 {
                minutePart = "every minute from \(run.lowerBound) through \(run.upperBound)"
            } else {
                minutePart = "at minutes " + Self.joinedRuns(runs)
            }
        }
        let hourPart: String
        switch hourPattern {
        case .every:
            switch minutePattern {
            case .every, .everyStep: hourPart = ""
            default: hourPart = " past every hour"
            }
        case .single(let value): hourPart = " past hour \(value)"
        case .everyStep(let step): hourPart = " past every \(Self.ordinal(step)) hour"
        case .progression(let start, let step, let end):
            hourPart = " past every \(Self.ordinal(step)) hour from \(start) through \(end)"
        case .list(let runs):
            if runs.count == 1, let run = runs.first {
                hourPart = " past every hour from \(run.lowerBound) through \(run.upperBound)"
            } else {
                hourPart = " past hours " + Self.joinedRuns(runs)
            }
        }
        return minutePart + hourPart
    }

    private static func dayOfMonthPhrase(_ values: CrontabValueSet) -> String? {
        switch CrontabValuePattern(values, field: .dayOfMonth) {
        case .every: return nil
        case .single(let day): return "on day \(day) of the month"
        case .everyStep(let step):
            return "on every \(ordinal(step)) day of the month"
        case .progression(let start, let step, let end):
            return "on every \(ordinal(step)) day of the month from \(start) through \(end)"
        case .list(let runs):
            return "on days \(joinedRuns(runs)) of the month"
        }
    }

    /// Days of the week or months in words: `"on Monday"`, `"Monday through
    /// Friday"` (also wrapping: `"Friday through Monday"`), `"on Monday and
    /// Thursday"`; `"in March"`, `"November through February"`.
    private static func namedPhrase(_ values: CrontabValueSet, field: CrontabField, names: [String]) -> String? {
        let count = field.highest - field.lowest + 1
        guard values.count < count else { return nil }
        let name = { (value: Int) in names[value - field.lowest] }
        let preposition = field == .dayOfWeek ? "on" : "in"
        if let run = cyclicRun(values, field: field), values.count >= 3 {
            return "\(name(run.first)) through \(name(run.last))"
        }
        return preposition + " " + joinedList(values.sortedValues.map(name))
    }

    /// When the values form one unbroken run around the field's cycle
    /// (Fri, Sat, Sun, Mon), its first and last value.
    private static func cyclicRun(_ values: CrontabValueSet, field: CrontabField) -> (first: Int, last: Int)? {
        let span = field.highest - field.lowest + 1
        let members = values.sortedValues
        let starts = members.filter { value in
            let previous = (value - field.lowest + span - 1) % span + field.lowest
            return !values.contains(previous)
        }
        guard starts.count == 1, let first = starts.first else { return nil }
        let last = (first - field.lowest + members.count - 1) % span + field.lowest
        return (first, last)
    }

    static func clockTime(hour: Int, minute: Int) -> String {
        (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }

    static func ordinal(_ number: Int) -> String {
        let suffix: String
        switch (number % 10, number % 100) {
        case (_, 11...13): suffix = "th"
        case (1, _): suffix = "st"
        case (2, _): suffix = "nd"
        case (3, _): suffix = "rd"
        default: suffix = "th"
        }
        return "\(number)\(suffix)"
    }

    /// `"a"`, `"a and b"`, `"a, b and c"`.
    static func joinedList(_ items: [String]) -> String {
        guard items.count > 1, let last = items.last else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + last
    }

    /// Runs of consecutive values in words: `"1, 13, 30 through 45 and 50"`.
    static func joinedRuns(_ runs: [ClosedRange<Int>]) -> String {
        joinedList(runs.flatMap { run -> [String] in
            switch run.count {
            case 1: ["\(run.lowerBound)"]
            case 2: ["\(run.lowerBound)", "\(run.upperBound)"]
            default: ["\(run.lowerBound) through \(run.upperBound)"]
            }
        })
    }
}
