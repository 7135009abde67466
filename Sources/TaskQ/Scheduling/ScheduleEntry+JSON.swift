import FoundationEssentials

/// The JSON form of an entry, as it is kept in Redis (`taskq:beat:entries`), sent in a child's
/// hello, and served by the monitor's `/api/schedules`:
///
///     {"name": "report", "task": "tasks.report", "args": [], "kwargs": {},
///      "schedule": {"crontab": {"minute": "0", "hour": "9-17/2", "day_of_week": "mon-fri",
///                               "day_of_month": "*", "month_of_year": "*"}, "timezone": "Europe/Berlin"},
///      "options": {"queue": "reports", "priority": null, "expires": null}, "source": "code"}
///
/// An interval is `"schedule": {"every": 30.0, "relative": false, "anchor": null}` (anchor: epoch seconds).
extension ScheduleEntry {
    /// The entry as JSON.
    public var json: JSONValue {
        [
            "name": .string(name), "task": .string(task), "args": .array(args), "kwargs": .object(kwargs),
            "schedule": timing.json,
            "options": ["queue": options.queue.map(JSONValue.string) ?? .null, "priority": options.priority.map(JSONValue.int) ?? .null,
                        "expires": options.expires.map(JSONValue.double) ?? .null],
            "source": .string(source.rawValue),
        ]
    }

    /// Reads an entry from JSON; throws a `ScheduleError` naming the field that is missing or wrong.
    public init(json: JSONValue) throws(ScheduleError) {
        guard let name = json["name"]?.stringValue else { throw .invalid(field: "name", value: "", reason: "is missing") }
        guard let task = json["task"]?.stringValue else { throw .invalid(field: "task", value: "", reason: "is missing") }
        let args = json["args"].map { $0.isNull ? [] : $0.arrayValue } ?? []
        guard let args else { throw .invalid(field: "args", value: json["args"]?.jsonText ?? "", reason: "is not a JSON array") }
        let kwargs = json["kwargs"].map { $0.isNull ? [:] : $0.objectValue } ?? [:]
        guard let kwargs else { throw .invalid(field: "kwargs", value: json["kwargs"]?.jsonText ?? "", reason: "is not a JSON object") }
        guard let schedule = json["schedule"] else { throw .invalid(field: "schedule", value: "", reason: "is missing (give every or crontab)") }
        let options = json["options"] ?? .object([:])
        var priority: Int?
        if let value = options["priority"], !value.isNull {
            guard let number = value.intValue else { throw .invalid(field: "priority", value: value.jsonText, reason: "is not a whole number") }
            priority = number
        }
        var expires: Double?
        if let value = options["expires"], !value.isNull {
            guard let seconds = value.doubleValue else { throw .invalid(field: "expires", value: value.jsonText, reason: "is not a number of seconds") }
            expires = seconds
        }
        let source = json["source"]?.stringValue.flatMap(Source.init(rawValue:)) ?? .runtime
        self.init(name: name, task: task, args: args, kwargs: kwargs, timing: try ScheduleTiming(json: schedule),
                  options: ScheduleOptions(queue: options["queue"]?.stringValue, priority: priority, expires: expires), source: source)
        _ = try validated()
    }
}

extension ScheduleTiming {
    /// The timing as JSON (see `ScheduleEntry.json`).
    public var json: JSONValue {
        switch self {
        case .interval(let interval):
            return ["every": .double(interval.seconds), "relative": .bool(interval.relative),
                    "anchor": interval.anchor.map { .double($0.timeIntervalSince1970) } ?? .null]
        case .crontab(let crontab, let zone):
            return ["crontab": ["minute": .string(crontab.minute), "hour": .string(crontab.hour), "day_of_week": .string(crontab.dayOfWeek),
                                "day_of_month": .string(crontab.dayOfMonth), "month_of_year": .string(crontab.monthOfYear)],
                    "timezone": .string(zone)]
        }
    }

    /// Reads a timing: `{"every": seconds, …}` or `{"crontab": {fields} or "m h dom mon dow", "timezone": name}`.
    public init(json: JSONValue) throws(ScheduleError) {
        if let every = json["every"] {
            guard let seconds = every.doubleValue else { throw .invalid(field: "every", value: every.jsonText, reason: "is not a number of seconds") }
            let anchor = json["anchor"].flatMap(\.doubleValue).map { Date(timeIntervalSince1970: $0) }
            self = .interval(try IntervalSchedule(every: seconds, relative: json["relative"]?.boolValue ?? false, anchor: anchor))
            return
        }
        guard let fields = json["crontab"] else { throw .invalid(field: "schedule", value: json.jsonText, reason: "has neither every nor crontab") }
        let crontab: Crontab
        if let expression = fields.stringValue {
            crontab = try Crontab(expression: expression)
        } else {
            func field(_ key: String) throws(ScheduleError) -> String {
                guard let value = fields[key] else { return "*" }
                if let text = value.stringValue { return text }
                if let number = value.intValue { return String(number) }
                throw .invalid(field: key, value: value.jsonText, reason: "is not a crontab field (a string such as \"*/15\" or a number)")
            }
            crontab = try Crontab(minute: try field("minute"), hour: try field("hour"), dayOfWeek: try field("day_of_week"),
                                  dayOfMonth: try field("day_of_month"), monthOfYear: try field("month_of_year"))
        }
        let zone = json["timezone"]?.stringValue ?? "UTC"
        guard Self.looksLikeZoneName(zone) else { throw .unknownTimeZone(name: zone) }
        self = .crontab(crontab, timeZone: zone)
    }
}
