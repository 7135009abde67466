import FoundationEssentials

/// Periodic tasks defined in code (Celery's `beat_schedule`). `taskq beat -A APP` (or
/// `taskq worker -B`) learns them from the app's executable, syncs them into Redis and sends
/// each due slot; see docs/scheduling.md.
///
/// ```swift
/// let cleanup = app.task("tasks.cleanup") { () in ... }
/// try app.schedule("cleanup", every: .seconds(30), task: cleanup)
/// try app.schedule("report", crontab: Crontab(minute: "0", hour: "9-17/2", dayOfWeek: "mon-fri"),
///                  timeZone: "Europe/Berlin", task: report, "daily")
/// ```
extension App {
    /// Runs `task` with these arguments every `interval`: first one interval after a beat first
    /// sees the entry, then one interval after each slot (`relative`: rounded to the interval's
    /// unit, as Celery's; `anchor`: on `anchor + k × interval`).
    @discardableResult
    public func schedule<each Argument: Codable & Sendable, Output: Codable & Sendable>(
        _ name: String, every interval: Duration, relative: Bool = false, anchor: Date? = nil,
        task: TaskDefinition<repeat each Argument, Output>, _ argument: repeat each Argument,
        options: ScheduleOptions = ScheduleOptions()
    ) throws -> ScheduleEntry {
        var args: [JSONValue] = []
        for value in repeat each argument { args.append(try JSONValue(encoding: value)) }
        let timing = ScheduleTiming.interval(try IntervalSchedule(every: interval, relative: relative, anchor: anchor))
        return try schedule(name, timing, task: task.name, args: args, options: options)
    }

    /// Runs `task` with these arguments at the times `crontab` selects on the wall clock of
    /// `timeZone` (an IANA name; see `Crontab` for the DST rules).
    @discardableResult
    public func schedule<each Argument: Codable & Sendable, Output: Codable & Sendable>(
        _ name: String, crontab: Crontab, timeZone: String = "UTC",
        task: TaskDefinition<repeat each Argument, Output>, _ argument: repeat each Argument,
        options: ScheduleOptions = ScheduleOptions()
    ) throws -> ScheduleEntry {
        var args: [JSONValue] = []
        for value in repeat each argument { args.append(try JSONValue(encoding: value)) }
        return try schedule(name, .crontab(crontab, timeZone: timeZone), task: task.name, args: args, options: options)
    }

    /// Schedules a task by name with untyped arguments (a Python task, say). The queue is
    /// resolved now as a send would (options, routes, task, default), so routes apply to beat.
    @discardableResult
    public func schedule(_ name: String, _ timing: ScheduleTiming, task: String, args: [JSONValue] = [],
                         kwargs: [String: JSONValue] = [:], options: ScheduleOptions = ScheduleOptions()) throws(ScheduleError) -> ScheduleEntry {
        let taskOptions = registry.task(named: task)?.options
        var resolved = options
        resolved.queue = queue(for: task, args: args, kwargs: kwargs, options: SendOptions(queue: options.queue), taskOptions: taskOptions)
        resolved.priority = options.priority ?? taskOptions?.priority
        let entry = try ScheduleEntry(name: name, task: task, args: args, kwargs: kwargs, timing: timing,
                                      options: resolved, source: .code).validated()
        try schedules.add(entry)
        return entry
    }
}
