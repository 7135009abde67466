import TaskQ

/// A task whose monitor history changed since the last history flush: its fields and state
/// as of its latest event, and what the indexes held before this window. It holds no
/// reference to the job, so a finished job is freed at once, not at the flush.
struct HistoryRecord {
    /// What the history's state index holds for the task before this record is written.
    enum Previous: Equatable {
        /// This worker wrote it (`nil`: nothing yet), so no read is needed.
        case known(String?)
        /// Another delivery may have written it (a redelivery or a retry): the script reads it.
        case unknown
    }

    /// The task id.
    let id: String
    /// The task name, for the name index.
    let name: String
    /// The task's score in every index.
    let score: Double
    /// The state indexed before the first change in this window.
    let previous: Previous
    /// The state as of the latest change.
    var state: String
    /// Every field the task's events set, oldest first (the job's `historyFields`: the array's
    /// storage is shared with the job's, not copied, and outlives the job only until the flush).
    var fields: [(TaskHistoryField, String)]

    /// The job's history as it stands now.
    init(_ job: Job, previous: Previous) {
        id = job.message.id
        name = job.message.name
        score = job.historyScore ?? 0
        self.previous = previous
        state = job.recordedState ?? ""
        fields = job.historyFields
    }

    /// The record as `TaskHistory.record` reads it: uuid, score, previous state ("" none,
    /// "?" unknown), state, name, and the whole record as `TaskHistoryJSON`.
    func arguments(into out: inout [[UInt8]]) {
        let before: String
        switch previous {
        case .known(let state): before = state ?? ""
        case .unknown: before = "?"
        }
        out.append(Array(id.utf8))
        out.append(Array(String(score).utf8))
        out.append(Array(before.utf8))
        out.append(Array(state.utf8))
        out.append(Array(name.utf8))
        out.append(TaskHistoryJSON.encode([(.uuid, id)] + fields + [(.state, state)]))
    }
}
