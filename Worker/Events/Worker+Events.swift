import FoundationEssentials
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

    /// Sends a `worker-heartbeat` now, and records the worker's status for the monitor.
    func sendHeartbeat() {
        let fields = workerEventFields()
        events.worker("worker-heartbeat", fields)
        recordStatus(fields)
    }

    /// Writes the worker's status (`taskq:workers`) that the monitor's worker pages read.
    func recordStatus(_ fields: [String: JSONValue], online: Bool = true) {
        var status = WorkerStatusRecord(json: .object(fields))   // freq, active, processed, loadavg, sw_*
        status.hostname = configuration.nodeName
        status.timestamp = Date().timeIntervalSince1970
        status.online = online
        status.pid = Int(getpid())
        status.concurrency = children.count
        status.queues = queues
        status.registered = tasks.values.sorted { $0.name < $1.name }.map {
            WorkerStatusRecord.RegisteredTask(name: $0.name, listing: $0.listing)
        }
        status.activeTasks = jobs.values.sorted { $0.number < $1.number }.map { requestInfo($0, safe: true) }
        status.children = children.values.map { Int($0.process.pid) }
        status.started = startedAt.timeIntervalSince1970
        status.totals = totals
        status.succeeded = counts.succeeded
        status.failed = counts.failed
        status.retried = counts.retried
        events.recordWorker(status.json)
    }

    /// Queues a task event and its history record when task events are on.
    func taskEvent(_ type: String, _ job: Job, _ makeFields: @autoclosure () -> [String: JSONValue] = [:]) {
        switch type {
        case "task-succeeded": counts.succeeded += 1
        case "task-failed": counts.failed += 1
        case "task-retried": counts.retried += 1
        default: break
        }
        guard taskEventsEnabled else { return }
        let fields = makeFields()   // built only when events are on
        let now = String(Date().timeIntervalSince1970)
        var record: [TaskHistoryField: String] = [.worker: configuration.nodeName, .timestamp: now]
        var state: String?
        switch type {
        case "task-received":
            state = "RECEIVED"
            record[.received] = now
            record[.name] = job.message.name
            record[.args] = HistoryBounds.bounded(job.message.argsRepr)
            record[.kwargs] = HistoryBounds.bounded(job.message.kwargsRepr)
            if let args = HistoryBounds.keptJSON(.array(job.message.args)),
               let kwargs = HistoryBounds.keptJSON(.object(job.message.kwargs)) {
                record[.argsJSON] = args
                record[.kwargsJSON] = kwargs
            }
            record[.retries] = String(job.message.retries)
            record[.rootID] = job.message.rootID ?? job.message.id
            record[.parentID] = job.message.parentID ?? ""
            record[.eta] = job.message.headers["eta"]?.stringValue ?? ""
            record[.expires] = job.message.headers["expires"]?.stringValue ?? ""
            record[.routingKey] = job.claimed.queue
            record[.queue] = job.claimed.queue
        case "task-started":
            state = "STARTED"
            record[.started] = now
        case "task-succeeded":
            state = "SUCCESS"
            record[.succeeded] = now
            record[.result] = HistoryBounds.bounded(fields["result"]?.stringValue ?? "")
            record[.runtime] = fields["runtime"]?.doubleValue.map { String($0) } ?? ""
        case "task-failed":
            state = "FAILURE"
            record[.failed] = now
            record[.exception] = HistoryBounds.bounded(fields["exception"]?.stringValue ?? "")
            record[.traceback] = HistoryBounds.bounded(fields["traceback"]?.stringValue ?? "", limit: HistoryBounds.traceback)
            if let started = job.startedAt { record[.runtime] = String(Date().timeIntervalSince(started)) }
        case "task-retried":
            state = "RETRY"
            record[.retried] = now
            record[.exception] = HistoryBounds.bounded(fields["exception"]?.stringValue ?? "")
            record[.traceback] = HistoryBounds.bounded(fields["traceback"]?.stringValue ?? "", limit: HistoryBounds.traceback)
        case "task-revoked":
            state = "REVOKED"
            record[.revoked] = now
            record[.exception] = fields["expired"]?.boolValue == true ? "expired" : (fields["terminated"]?.boolValue == true ? "terminated" : "revoked")
        default:
            break
        }
        if type != "task-received" && job.message.name.isEmpty == false {
            record[.name] = job.message.name
        }
        events.task(type, uuid: job.message.id, fields, state: state, history: record)
    }

    /// The `task-received` fields of a job.
    func receivedFields(_ job: Job) -> [String: JSONValue] {
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
