/// The Redis keys of periodic tasks, all under `taskq:beat:`.
package enum ScheduleKeys {
    /// Hash: entry name → `ScheduleEntry.json` text.
    package static let entries = "taskq:beat:entries"
    /// Set of paused entry names.
    package static let paused = "taskq:beat:paused"
    /// Sorted set: entry name → its next slot, in epoch milliseconds (only active entries).
    package static let next = "taskq:beat:next"
    /// Counter bumped by every change of the entries; a leading beat reloads when it moves.
    package static let version = "taskq:beat:version"
    /// String `<fence>:<beat id>` held by the leading beat, with a lease (PX).
    package static let leader = "taskq:beat:leader"
    /// Counter of leaderships: each new leader's fencing token.
    package static let fence = "taskq:beat:fence"
    /// Hash of one entry's runs: `last_run` (slot, ms), `last_sent` (ms), `last_task_id`, `total_runs`, `missed`.
    package static func runs(_ name: String) -> String { "taskq:beat:runs:" + name }
    /// The message header naming the entry a beat message was sent for.
    package static let entryHeader = "taskq_schedule"
    /// The message header holding the slot (epoch milliseconds) a beat message was sent for.
    package static let slotHeader = "taskq_slot"
}
