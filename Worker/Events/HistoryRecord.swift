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
    var fields: [String: String]

    /// Folds a later event's fields and state in.
    mutating func merge(_ more: [String: String], state newState: String?, at time: Double) {
        fields.merge(more) { _, later in later }
        if let newState { state = newState }
        last = max(last, time)
    }

    /// The record as `TaskHistory.record` reads it.
    func json(uuid: String) -> JSONValue {
        var entry: [String: JSONValue] = [
            "uuid": .string(uuid), "first": .double(first), "ts": .double(last),
            "fields": .object(fields.mapValues(JSONValue.string)),
        ]
        if let state { entry["state"] = .string(state) }
        return .object(entry)
    }
}
