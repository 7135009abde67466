import TaskQ

/// A task's history hash fields as `HSET` takes them: name/value pairs, encoded once.
///
/// Later pairs win when a field repeats (Redis applies `HSET`'s pairs in order), so merging
/// one event's fields into another's is an append: no dictionary, no hashing per field.
struct HistoryFields {
    /// Name, value, name, value, ...
    private(set) var flat: [[UInt8]] = []

    /// The number of pairs.
    var count: Int { flat.count / 2 }

    /// Adds one field.
    mutating func add(_ field: TaskHistoryField, _ value: String) {
        flat.append(Array(field.rawValue.utf8))
        flat.append(Array(value.utf8))
    }

    /// Adds a later event's fields after these.
    mutating func append(_ later: HistoryFields) {
        flat.append(contentsOf: later.flat)
    }
}
