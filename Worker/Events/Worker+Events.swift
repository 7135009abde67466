import Foundation
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

extension Worker {
    /// The fields every worker event carries: `freq`, `active`, `processed`, `loadavg`, `sw_*`.
    func workerEventFields() -> [String: JSONValue] {
        var loads = [Double](repeating: 0, count: 3)
        _ = getloadavg(&loads, 3)
        return [
            "freq": .double(Self.heartbeatInterval),
            "active": .int(jobs.count),
            "processed": .int(processed),
            "loadavg": .array(loads.map { .double(($0 * 100).rounded() / 100) }),
            "sw_ident": "taskq",
            "sw_ver": .string(TaskQVersion.current),
            "sw_sys": "Linux",
        ]
    }

    /// Seconds between `worker-heartbeat` events (Celery's default).
    static let heartbeatInterval = 2.0

    /// Sends a `worker-heartbeat` now.
    func sendHeartbeat() {
        events.worker("worker-heartbeat", workerEventFields())
    }

    /// Queues a task event when task events are on.
    func taskEvent(_ type: String, _ job: Job, _ fields: [String: JSONValue] = [:]) {
        guard taskEventsEnabled else { return }
        events.task(type, uuid: job.message.id, fields)
    }

    /// The `task-received` fields of a job.
    func receivedFields(_ job: Job) -> [String: JSONValue] {
        [
            "name": .string(job.message.name),
            "args": .string(job.message.argsRepr),
            "kwargs": .string(job.message.kwargsRepr),
            "root_id": job.message.rootID.map(JSONValue.string) ?? .null,
            "parent_id": job.message.parentID.map(JSONValue.string) ?? .null,
            "retries": .int(job.message.retries),
            "eta": job.message.headers["eta"] ?? .null,
            "expires": job.message.headers["expires"] ?? .null,
            "queue": .string(job.claimed.queue),
            "routing_key": .string(job.claimed.queue),
            "exchange": "",
        ]
    }
}
