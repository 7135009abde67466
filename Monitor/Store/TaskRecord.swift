import TaskQ

/// One task from the history hash, shaped as Flower's API shows tasks.
struct TaskRecord: Sendable {
    let fields: [String: String]

    var id: String { fields["uuid"] ?? "" }
    var name: String { fields["name"] ?? "" }
    var state: String { fields["state"] ?? "PENDING" }
    var worker: String { fields["worker"] ?? "" }
    func time(_ key: String) -> Double? { fields[key].flatMap(Double.init) }
    var received: Double? { time("received") }

    /// Flower's task dict: timestamps as epoch floats, args/kwargs/result as repr strings.
    var json: JSONValue {
        func number(_ key: String) -> JSONValue { time(key).map(JSONValue.double) ?? .null }
        func text(_ key: String) -> JSONValue {
            guard let value = fields[key], !value.isEmpty else { return .null }
            return .string(value)
        }
        return [
            "uuid": .string(id),
            "name": text("name"),
            "state": .string(state),
            "received": number("received"),
            "sent": number("sent"),
            "started": number("started"),
            "rejected": number("rejected"),
            "succeeded": number("succeeded"),
            "failed": number("failed"),
            "retried": number("retried"),
            "revoked": number("revoked"),
            "args": text("args"),
            "kwargs": text("kwargs"),
            "eta": text("eta"),
            "expires": text("expires"),
            "retries": fields["retries"].flatMap(Int.init).map(JSONValue.int) ?? .null,
            "result": text("result"),
            "exception": text("exception"),
            "timestamp": number("timestamp"),
            "runtime": number("runtime"),
            "traceback": text("traceback"),
            "exchange": text("exchange"),
            "routing_key": text("routing_key"),
            "clock": .int(0),
            "client": .null,
            "root": text("root_id"),
            "root_id": text("root_id"),
            "parent": text("parent_id"),
            "parent_id": text("parent_id"),
            "children": .array([]),
            "worker": text("worker"),
        ]
    }

    /// Whether args, kwargs, result or exception contain `needle` (case-insensitive).
    func matches(search needle: String) -> Bool {
        let lowered = needle.lowercased()
        return ["args", "kwargs", "result", "exception", "name", "uuid"].contains {
            (fields[$0] ?? "").lowercased().contains(lowered)
        }
    }
}
