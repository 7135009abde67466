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
        guard let bytes = (try? TestRedis.command(url, RedisCommand("GET", HistoryKeys.task(taskID))))?.bytes,
              let stored = TaskHistoryJSON.decode(bytes) else { return [:] }
        var fields: [TaskHistoryField: String] = [:]
        for (name, value) in stored {
            if let field = TaskHistoryField(rawValue: name) { fields[field] = value }
        }
        return fields
    }

    /// Waits until the task's history has `field` (`.received`, `.started`, `.succeeded` …), written by
    /// the worker's task events (at most 100 ms after the event); false after `timeout`.
    package func waitForTask(_ taskID: String, _ field: TaskHistoryField, timeout: Double = 20) async throws -> Bool {
        try await TestRedis.waitUntil(timeout: timeout) { history(of: taskID)[field] != nil }
    }
}
