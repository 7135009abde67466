import FoundationEssentials
import TaskQ

/// Task events: the counts the worker status shows, and the events themselves (published when
/// task events are on; the monitor's history is written from them either way).
extension SupervisorCore {
    mutating func taskEvent(_ kind: TaskEventKind, _ job: Job, _ makeFields: @autoclosure () -> [String: JSONValue] = [:]) {
        switch kind {
        case .succeeded: counts.succeeded += 1
        case .failed: counts.failed += 1
        case .retried: counts.retried += 1
        default: break
        }
        emit(.taskEvent(kind, job, makeFields(), publish: taskEventsEnabled))
    }

    /// The `task-received` fields of a job.
    static func receivedFields(_ job: Job) -> [String: JSONValue] {
        [
            "name": .string(job.message.name),
            "args": .string(HistoryBounds.bounded(job.message.argsRepr)),
            "kwargs": .string(HistoryBounds.bounded(job.message.kwargsRepr)),
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
