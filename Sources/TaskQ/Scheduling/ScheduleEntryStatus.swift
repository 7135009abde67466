import FoundationEssentials

/// An entry as Redis holds it: its definition, whether it is paused, and its runs.
package struct ScheduleEntryStatus: Sendable {
    package var entry: ScheduleEntry
    package var paused: Bool
    /// The next slot a leading beat will send (nil while paused, or until a beat has planned it).
    package var nextRun: Date?
    /// The slot last sent.
    package var lastRun: Date?
    /// When the last run was sent (a run-now has no slot, only this).
    package var lastSent: Date?
    package var lastTaskID: String?
    package var totalRuns: Int
    /// Slots skipped after downtime longer than the catch-up window.
    package var missed: Int

    /// The status as JSON for `/api/schedules` and `taskq beat list --json` (the entry's JSON
    /// plus `paused`, `description`, `next_run`, `next_run_local`, `last_run`, `last_sent`,
    /// `last_task_id`, `total_runs`, `missed`; times as ISO 8601, `next_run_local` in the entry's zone).
    package func json(nextRunLocal: String?) -> JSONValue {
        var members = entry.json.objectValue ?? [:]
        members["paused"] = .bool(paused)
        members["description"] = .string(entry.timing.description)
        members["next_run"] = nextRun.map { .string(CeleryTime.format($0)) } ?? .null
        members["next_run_local"] = nextRunLocal.map(JSONValue.string) ?? .null
        members["last_run"] = lastRun.map { .string(CeleryTime.format($0)) } ?? .null
        members["last_sent"] = lastSent.map { .string(CeleryTime.format($0)) } ?? .null
        members["last_task_id"] = lastTaskID.map(JSONValue.string) ?? .null
        members["total_runs"] = .int(totalRuns)
        members["missed"] = .int(missed)
        return .object(members)
    }
}
