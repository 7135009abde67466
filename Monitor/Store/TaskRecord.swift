import TaskQ

/// One task from the history hash, shaped as Flower's API shows tasks.
struct TaskRecord: Sendable {
    /// The hash's fields as read, by name (``TaskHistoryField`` names the ones workers write).
    let fields: [String: String]

    /// A field's value, if the hash has it.
    subscript(_ field: TaskHistoryField) -> String? { fields[field.rawValue] }

    var id: String { self[.uuid] ?? "" }
    var name: String { self[.name] ?? "" }
    var state: String { self[.state] ?? "PENDING" }
    var worker: String { self[.worker] ?? "" }
    /// A time field as epoch seconds.
    func time(_ field: TaskHistoryField) -> Double? { self[field].flatMap(Double.init) }
    var received: Double? { time(.received) }

    /// Flower's task dict: timestamps as epoch floats, args/kwargs/result as repr strings.
    var json: JSONValue {
        func number(_ field: TaskHistoryField) -> JSONValue { time(field).map(JSONValue.double) ?? .null }
        func text(_ field: TaskHistoryField) -> JSONValue {
            guard let value = self[field], !value.isEmpty else { return .null }
            return .string(value)
        }
        return [
            "uuid": .string(id),
            "name": text(.name),
            "state": .string(state),
            "received": number(.received),
            "sent": number(.sent),
            "started": number(.started),
            "rejected": number(.rejected),
            "succeeded": number(.succeeded),
            "failed": number(.failed),
            "retried": number(.retried),
            "revoked": number(.revoked),
            "args": text(.args),
            "kwargs": text(.kwargs),
            "eta": text(.eta),
            "expires": text(.expires),
            "retries": self[.retries].flatMap(Int.init).map(JSONValue.int) ?? .null,
            "result": text(.result),
            "exception": text(.exception),
            "timestamp": number(.timestamp),
            "runtime": number(.runtime),
            "traceback": text(.traceback),
            "exchange": text(.exchange),
            "routing_key": text(.routingKey),
            "clock": .int(0),
            "client": .null,
            "root": text(.rootID),
            "root_id": text(.rootID),
            "parent": text(.parentID),
            "parent_id": text(.parentID),
            "children": .array([]),
            "worker": text(.worker),
        ]
    }

    /// The fields a search looks in.
    static let searchedFields: [TaskHistoryField] = [.args, .kwargs, .result, .exception, .name, .uuid]

    /// Whether args, kwargs, result, exception, name or id contain `needle` (case-insensitive).
    func matches(search needle: String) -> Bool {
        let lowered = needle.lowercased()
        return Self.searchedFields.contains { (self[$0] ?? "").lowercased().contains(lowered) }
    }
}
