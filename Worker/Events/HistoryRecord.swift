import TaskQ

/// One task's changes to its monitor history between two history flushes: the fields of
/// every event merged (later ones win), the last state, and what the indexes held before.
struct HistoryRecord {
    /// What the history's state index holds for the task before this record is written.
    enum Previous: Equatable {
        /// This worker wrote it (`nil`: nothing yet), so no read is needed.
        case known(String?)
        /// Another delivery may have written it (a redelivery or a retry): the script reads it.
        case unknown
    }

    /// The task's name, for the name index.
    let name: String
    /// The task's score in every index: when this worker received it.
    let score: Double
    /// The state indexed before the first merged event.
    let previous: Previous
    /// The last state named.
    var state: String
    /// The fields of `taskq:task:<id>` to set.
    var fields: HistoryFields

    /// Folds a later event's fields and state in.
    mutating func merge(_ more: HistoryFields, state newState: String) {
        fields.append(more)
        state = newState
    }

    /// The record as `TaskHistory.record` reads it: uuid, score, previous state ("" none,
    /// "?" unknown), state, name, the field count, then the fields as name/value pairs.
    func arguments(uuid: String, into out: inout [[UInt8]]) {
        let before: String
        switch previous {
        case .known(let state): before = state ?? ""
        case .unknown: before = "?"
        }
        out.append(Array(uuid.utf8))
        out.append(Array(String(score).utf8))
        out.append(Array(before.utf8))
        out.append(Array(state.utf8))
        out.append(Array(name.utf8))
        out.append(Array(String(fields.count).utf8))
        out.append(contentsOf: fields.flat)
    }
}
