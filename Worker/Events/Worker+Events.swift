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
            "freq": .double(SupervisorCore.heartbeatInterval),
            "active": .int(core.jobs.count),
            "processed": .int(core.processed),
            "loadavg": .array(loads.map { .double(($0 * 100).rounded() / 100) }),
            "sw_ident": "taskq",
            "sw_ver": .string(TaskQVersion.current),
            "sw_sys": "Linux",
        ]
    }

    /// Writes the worker's status (`taskq:workers`) that the monitor's worker pages read.
    func recordStatus(_ fields: [String: JSONValue], online: Bool = true) {
        var status = WorkerStatusRecord(json: .object(fields))   // freq, active, processed, loadavg, sw_*
        status.hostname = configuration.nodeName
        status.timestamp = Date().timeIntervalSince1970
        status.online = online
        status.pid = Int(getpid())
        status.concurrency = core.concurrency
        status.pool = configuration.pool.kind.rawValue
        status.tasksPerProcess = configuration.pool.tasksPerChild
        status.queues = core.queues
        status.registered = core.tasks.values.sorted { $0.name < $1.name }.map {
            WorkerStatusRecord.RegisteredTask(name: $0.name, listing: $0.listing)
        }
        status.activeTasks = core.jobs.values.sorted { $0.number < $1.number }.map { core.requestInfo($0, safe: true) }
        status.children = processes.keys.sorted().compactMap { processes[$0].map { Int($0.pid) } }
        status.started = core.startedAt.timeIntervalSince1970
        status.totals = core.totals
        status.succeeded = core.counts.succeeded
        status.failed = core.counts.failed
        status.retried = core.counts.retried
        events.recordWorker(status.json)
    }

    /// Records a task event the core decided on in the monitor's history, and queues the event
    /// itself when `publish` (task events on).
    func publish(_ kind: TaskEventKind, _ job: Job, _ fields: [String: JSONValue], publish: Bool) {
        let type = kind.rawValue
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
        if publish { events.task(type, uuid: job.message.id, fields) }
        let score = job.historyScore ?? history.score(receivedAt: job.receivedAt)
        job.historyScore = score
        history.record(uuid: job.message.id, score: score, previous: previousHistory(job),
                       state: state, fields: record)
        if let state { job.recordedState = state }
    }

    /// What the history's indexes hold for the job's task before this worker's first record:
    /// nothing for a first delivery, not known for a redelivery or a retry (an earlier
    /// delivery may have recorded it), and afterwards what this worker wrote.
    private func previousHistory(_ job: Job) -> HistoryRecord.Previous {
        if job.recordedState == nil && (job.message.retries > 0 || job.claimed.deliveries > 1 || job.message.redelivered) {
            return .unknown
        }
        return .known(job.recordedState)
    }
}
