import TaskQ

/// A task whose monitor history changed since the last history flush: the job (its fields
/// and state as they stand at the flush) and what the indexes held before this window.
struct HistoryRecord {
    /// What the history's state index holds for the task before this record is written.
    enum Previous: Equatable {
        /// This worker wrote it (`nil`: nothing yet), so no read is needed.
        case known(String?)
        /// Another delivery may have written it (a redelivery or a retry): the script reads it.
        case unknown
    }

    /// The job, whose `historyFields`, `recordedState` and `historyScore` are written.
    let job: Job
    /// The state indexed before the first change in this window.
    let previous: Previous

    /// The record as `TaskHistory.record` reads it: uuid, score, previous state ("" none,
    /// "?" unknown), state, name, and the whole record as `TaskHistoryJSON`.
    func arguments(into out: inout [[UInt8]]) {
        let before: String
        switch previous {
        case .known(let state): before = state ?? ""
        case .unknown: before = "?"
        }
        let id = job.message.id
        let state = job.recordedState ?? ""
        out.append(Array(id.utf8))
        out.append(Array(String(job.historyScore ?? 0).utf8))
        out.append(Array(before.utf8))
        out.append(Array(state.utf8))
        out.append(Array(job.message.name.utf8))
        out.append(TaskHistoryJSON.encode([(.uuid, id)] + job.historyFields + [(.state, state)]))
    }
}
