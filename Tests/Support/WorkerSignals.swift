import Foundation
import TaskQ

/// What a test can wait on without reading a worker's log: the status it records for the
/// monitor (`taskq:workers`) and the task history its events write (`taskq:task:<id>`).
extension WorkerProcess {
    /// The status the worker last recorded, if any.
    package var status: WorkerStatusRecord? {
        guard let reply = try? TestRedis.command(url, RedisCommand("HGET", HistoryKeys.workers, nodeName)),
              let bytes = reply.bytes, let json = try? JSONValue.parse(bytes) else { return nil }
        return WorkerStatusRecord(json: json)
    }

    /// Whether this run of the worker recorded itself online (its pool said hello, the claimer runs).
    package var isOnline: Bool {
        guard let status else { return false }
        return status.online && status.pid == Int(process.processIdentifier)
    }

    /// The task's history fields as this worker's events wrote them (empty before its first event).
    package func history(of taskID: String) -> [TaskHistoryField: String] {
        guard let items = (try? TestRedis.command(url, RedisCommand("HGETALL", HistoryKeys.task(taskID))))?.array else { return [:] }
        var fields: [TaskHistoryField: String] = [:]
        for index in stride(from: 0, to: items.count - 1, by: 2) {
            if let name = items[index].string.flatMap(TaskHistoryField.init(rawValue:)), let value = items[index + 1].string {
                fields[name] = value
            }
        }
        return fields
    }

    /// Waits until the task's history has `field` (`.received`, `.started`, `.succeeded` …), written by
    /// the worker's task events (at most 100 ms after the event); false after `timeout`.
    package func waitForTask(_ taskID: String, _ field: TaskHistoryField, timeout: Double = 20) async throws -> Bool {
        try await TestRedis.waitUntil(timeout: timeout) { history(of: taskID)[field] != nil }
    }
}
