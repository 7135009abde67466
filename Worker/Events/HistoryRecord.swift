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

    /// The task's score in every index: when this worker received it.
    let score: Double
    /// The state indexed before the first merged event.
    let previous: Previous
    /// The last state named, if any.
    var state: String?
    /// The string fields of `taskq:task:<id>` (the name among them).
    var fields: [TaskHistoryField: String]

    /// Folds a later event's fields and state in.
    mutating func merge(_ more: [TaskHistoryField: String], state newState: String?) {
        fields.merge(more) { _, later in later }
        if let newState { state = newState }
    }

    /// The record as `TaskHistory.record` reads it: uuid, score, previous state ("" none,
    /// "?" unknown), state or "", name, the field count, then the fields as name/value pairs.
    func arguments(uuid: String) -> [[UInt8]] {
        let before: String
        switch previous {
        case .known(let state): before = state ?? ""
        case .unknown: before = "?"
        }
        var out: [[UInt8]] = [Array(uuid.utf8), Array(String(score).utf8), Array(before.utf8), Array((state ?? "").utf8),
                              Array((fields[.name] ?? "").utf8), Array(String(fields.count).utf8)]
        out.reserveCapacity(6 + fields.count * 2)
        for (name, value) in fields {
            out.append(Array(name.rawValue.utf8))
            out.append(Array(value.utf8))
        }
        return out
    }
}
