import TaskQ

/// One task's changes to its monitor history between two flushes: the fields of every
/// event merged (later ones win), the last state, and when the first and last came.
struct HistoryRecord {
    /// When the first of the merged events happened (the task's place in `taskq:tasks` when new).
    let first: Double
    /// When the last one happened (its place in the state index).
    var last: Double
    /// The last state named, if any.
    var state: String?
    /// The string fields of `taskq:task:<id>`.
    var fields: [TaskHistoryField: String]

    /// Folds a later event's fields and state in.
    mutating func merge(_ more: [TaskHistoryField: String], state newState: String?, at time: Double) {
        fields.merge(more) { _, later in later }
        if let newState { state = newState }
        last = max(last, time)
    }

    /// The record as `TaskHistory.record` reads it: uuid, first, ts, state or "", the field
    /// count, then the fields as name/value pairs.
    func arguments(uuid: String) -> [[UInt8]] {
        var out: [[UInt8]] = [Array(uuid.utf8), Array(String(first).utf8), Array(String(last).utf8),
                              Array((state ?? "").utf8), Array(String(fields.count).utf8)]
        out.reserveCapacity(5 + fields.count * 2)
        for (name, value) in fields {
            out.append(Array(name.rawValue.utf8))
            out.append(Array(value.utf8))
        }
        return out
    }
}
