/// The Redis keys under which workers record task history for the monitor.
///
/// Each task is a string `taskq:task:<id>` (``TaskHistoryJSON``: its fields are ``TaskHistoryField``); sorted sets index them
/// (all, by state, by name, by worker) so that listing and paging are cheap. Every index scores a task
/// by the time its worker received it, so one score bound trims them all together.
package enum HistoryKeys {
    /// The record of one task (``TaskHistoryJSON``).
    package static func task(_ id: String) -> String { "taskq:task:" + id }
    /// Every recorded task id, scored by first-seen time.
    package static let all = "taskq:tasks"
    /// Task ids in one state.
    package static func state(_ state: String) -> String { "taskq:tasks:state:" + state }
    /// Task ids of one task name.
    package static func name(_ name: String) -> String { "taskq:tasks:name:" + name }
    /// Task ids run by one worker.
    package static func worker(_ node: String) -> String { "taskq:tasks:worker:" + node }
    /// Hash of worker node name → its latest status JSON (``WorkerStatusRecord/json``).
    package static let workers = "taskq:workers"
    /// Set of task names ever recorded.
    package static let taskNames = "taskq:task-names"
    /// Set of worker node names that have a worker index.
    package static let workerNames = "taskq:task-workers"
    /// The states a worker records (each has an index).
    package static let states = ["RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED"]
}
