import FoundationEssentials

/// One periodic task: what to send, when, and with which options (a Celery beat schedule entry).
///
/// Entries come from code (`App.schedule`, synced into Redis each time a beat starts) or are
/// added at run time (`taskq beat add`, the monitor's `/api/schedules`). Either way beat sends
/// each due slot as an ordinary Celery message, so Python workers run them too.
public struct ScheduleEntry: Sendable, Hashable {
    /// Where an entry was defined.
    public enum Source: String, Sendable, Hashable {
        /// In the app's code; re-synced (and removed when gone from the code) each time a beat starts.
        case code
        /// Added at run time from the command line or the monitor; kept until removed.
        case runtime
    }

    /// The entry's name, unique among entries (Celery's schedule key).
    public var name: String
    /// The task name sent, e.g. `tasks.report`.
    public var task: String
    /// Positional arguments of every call.
    public var args: [JSONValue]
    /// Keyword arguments of every call.
    public var kwargs: [String: JSONValue]
    /// When it runs.
    public var timing: ScheduleTiming
    /// Queue, priority and expiry of the messages sent.
    public var options: ScheduleOptions
    /// Where it was defined.
    public var source: Source

    /// Creates an entry; `validated()` checks it.
    public init(name: String, task: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:],
                timing: ScheduleTiming, options: ScheduleOptions = ScheduleOptions(), source: Source = .runtime) {
        self.name = name
        self.task = task
        self.args = args
        self.kwargs = kwargs
        self.timing = timing
        self.options = options
        self.source = source
    }

    /// The entry, or an error naming the field at fault (empty name or task, bad priority or expiry).
    public func validated() throws(ScheduleError) -> ScheduleEntry {
        if name.trimmed().isEmpty { throw .invalid(field: "name", value: name, reason: "is empty") }
        if name.count > 200 { throw .invalid(field: "name", value: String(name.prefix(40)) + "…", reason: "is longer than 200 characters") }
        if task.trimmed().isEmpty { throw .invalid(field: "task", value: task, reason: "is empty") }
        if let priority = options.priority, !(0...9).contains(priority) {
            throw .invalid(field: "priority", value: String(priority), reason: "is not 0…9")
        }
        if let expires = options.expires, !(expires.isFinite && expires > 0) {
            throw .invalid(field: "expires", value: "\(expires)", reason: "is not a positive number of seconds")
        }
        if let queue = options.queue, queue.isEmpty { throw .invalid(field: "queue", value: queue, reason: "is empty") }
        if case .crontab(_, let zone) = timing, !ScheduleTiming.looksLikeZoneName(zone) {
            throw .unknownTimeZone(name: zone)
        }
        return self
    }
}

/// When an entry runs: an interval, or a crontab read in a named time zone.
///
/// The zone is kept by its IANA name; `rule()` resolves it (named zones need
/// FoundationInternationalization linked into the process, as `taskq beat` and the worker are).
public enum ScheduleTiming: Sendable, Hashable, CustomStringConvertible {
    /// Every so many seconds (see `IntervalSchedule`).
    case interval(IntervalSchedule)
    /// At the wall-clock times a crontab selects, in the zone named (e.g. `Europe/Berlin`; default `UTC`).
    case crontab(Crontab, timeZone: String)

    /// The rule beat computes slots with; throws for a zone this process does not know.
    public func rule() throws(ScheduleError) -> ScheduleRule {
        switch self {
        case .interval(let interval): return .interval(interval)
        case .crontab(let crontab, let zone): return .crontab(crontab, timeZone: try ScheduleRule.timeZone(named: zone))
        }
    }

    /// The schedule in words, with the zone when it is not UTC.
    public var description: String {
        switch self {
        case .interval(let interval): return interval.description
        case .crontab(let crontab, let zone): return ["UTC", "Etc/UTC"].contains(zone) ? crontab.description : "\(crontab.description) (\(zone))"
        }
    }

    /// The zone name, for crontab timing.
    public var timeZoneName: String? {
        if case .crontab(_, let zone) = self { return zone }
        return nil
    }

    /// Whether `name` has the shape of a tz database name (`UTC`, `Europe/Berlin`, `Etc/GMT-5`);
    /// whether the zone exists is known where it is resolved (`rule()`).
    static func looksLikeZoneName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.first != "/" && !name.contains("..")
            && name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "/_-+".unicodeScalars.contains($0) }
    }
}

/// The send options of a periodic entry (Celery's entry `options`).
public struct ScheduleOptions: Sendable, Hashable {
    /// The queue its messages go to; default: the routes', then the task's, then the app's default queue.
    public var queue: String?
    /// Message priority 0…9.
    public var priority: Int?
    /// Seconds after sending that a message expires unrun (stored REVOKED `expired`).
    public var expires: Double?

    /// Creates options; all default to "not set".
    public init(queue: String? = nil, priority: Int? = nil, expires: Double? = nil) {
        self.queue = queue
        self.priority = priority
        self.expires = expires
    }
}
