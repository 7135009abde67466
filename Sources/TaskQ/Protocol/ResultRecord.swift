import FoundationEssentials

/// A task's record in the result backend (`celery-task-meta-<id>`), in Celery's shape.
package struct ResultRecord: Sendable {
    /// The task id.
    package var taskID: String
    /// The state.
    package var status: TaskState
    /// The return value, an exception record, or other state data.
    package var result: JSONValue
    /// The traceback text for exception states.
    package var traceback: String?
    /// Subtask results, `[[id, parent], ...]`.
    package var children: JSONValue
    /// When the task reached a ready state.
    package var dateDone: Date?
    /// Extra members kept as they are (`parent_id`, `group_id`, `retries`, ...).
    package var extra: [String: JSONValue]

    package init(taskID: String, status: TaskState, result: JSONValue, traceback: String? = nil,
                 children: JSONValue = .array([]), dateDone: Date? = nil, extra: [String: JSONValue] = [:]) {
        self.taskID = taskID
        self.status = status
        self.result = result
        self.traceback = traceback
        self.children = children
        self.dateDone = dateDone
        self.extra = extra
    }

    /// A record for an exception state (FAILURE, RETRY, REVOKED).
    package init(taskID: String, status: TaskState, exception: ExceptionInfo, traceback: String?, dateDone: Date?, extra: [String: JSONValue] = [:]) {
        self.init(taskID: taskID, status: status, result: exception.json, traceback: traceback, dateDone: dateDone, extra: extra)
    }

    /// The exception, when the state carries one.
    package var exception: ExceptionInfo? {
        status.carriesException ? ExceptionInfo(json: result) : nil
    }

    /// The JSON object Celery stores.
    package var json: JSONValue {
        var members = extra
        members["task_id"] = .string(taskID)
        members["status"] = .string(status.rawValue)
        members["result"] = result
        members["traceback"] = traceback.map(JSONValue.string) ?? .null
        members["children"] = children
        members["date_done"] = dateDone.map { .string(CeleryTime.format($0)) } ?? .null
        return .object(members)
    }

    /// The stored bytes: the members of `json`, written without building its dictionary
    /// (one record is written per task).
    package func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(192)
        out.append(contentsOf: #"{"status":"#.utf8)
        JSONValue.writeString(status.rawValue, to: &out)
        out.append(contentsOf: #","result":"#.utf8)
        result.write(to: &out)
        out.append(contentsOf: #","traceback":"#.utf8)
        (traceback.map(JSONValue.string) ?? .null).write(to: &out)
        out.append(contentsOf: #","children":"#.utf8)
        children.write(to: &out)
        out.append(contentsOf: #","date_done":"#.utf8)
        (dateDone.map { JSONValue.string(CeleryTime.format($0)) } ?? .null).write(to: &out)
        out.append(contentsOf: #","task_id":"#.utf8)
        JSONValue.writeString(taskID, to: &out)
        for (key, value) in extra where !Self.ownKeys.contains(key) {
            out.append(UInt8(ascii: ","))
            JSONValue.writeString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            value.write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The members `json` sets itself over any of `extra`.
    private static let ownKeys: Set<String> = ["task_id", "status", "result", "traceback", "children", "date_done"]

    /// Reads a stored record.
    package init(json value: JSONValue) throws {
        guard let status = value["status"]?.stringValue else {
            throw ProtocolError.malformed("result record has no 'status'")
        }
        var extra = value.objectValue ?? [:]
        for key in ["task_id", "status", "result", "traceback", "children", "date_done"] { extra[key] = nil }
        self.init(
            taskID: value["task_id"]?.stringValue ?? "",
            status: TaskState(rawValue: status),
            result: value["result"] ?? .null,
            traceback: value["traceback"]?.stringValue,
            children: value["children"] ?? .array([]),
            dateDone: value["date_done"]?.stringValue.flatMap(CeleryTime.parse),
            extra: extra)
    }

    /// Reads stored bytes.
    package init(bytes: [UInt8]) throws {
        try self.init(json: JSONValue.parse(bytes))
    }
}

/// A message or record that does not follow the protocol.
package enum ProtocolError: Error, CustomStringConvertible, Sendable {
    /// What is wrong with it.
    case malformed(String)

    package var description: String {
        switch self {
        case .malformed(let reason): return reason
        }
    }
}
