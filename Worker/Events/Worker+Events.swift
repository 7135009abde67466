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
        status.registered = core.tasks.values.filter { !$0.name.hasPrefix("celery.") }.sorted { $0.name < $1.name }.map {
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
        if publish { events.task(kind.rawValue, uuid: job.message.id, fields) }
        let now = String(Date().timeIntervalSince1970)
        var record: [(TaskHistoryField, String)] = []
        func add(_ field: TaskHistoryField, _ value: String) { record.append((field, value)) }
        if job.recordedState == nil { add(.worker, configuration.nodeName) }
        add(.timestamp, now)
        let state: String
        switch kind {
        case .received:
            state = "RECEIVED"
            let message = job.message
            add(.received, now)
            add(.name, message.name)
            add(.args, HistoryBounds.bounded(message.argsRepr))
            add(.kwargs, HistoryBounds.bounded(message.kwargsRepr))
            if let args = HistoryBounds.keptJSON(.array(message.args)), let kwargs = HistoryBounds.keptJSON(.object(message.kwargs)) {
                add(.argsJSON, args)
                add(.kwargsJSON, kwargs)
            }
            add(.retries, String(message.retries))
            add(.rootID, message.rootID ?? message.id)
            add(.parentID, message.parentID ?? "")
            add(.eta, message.headers["eta"]?.stringValue ?? "")
            add(.expires, message.headers["expires"]?.stringValue ?? "")
            add(.routingKey, job.claimed.queue)
            add(.queue, job.claimed.queue)
        case .started:
            state = "STARTED"
            add(.started, now)
        case .succeeded:
            state = "SUCCESS"
            add(.succeeded, now)
            add(.result, HistoryBounds.bounded(fields["result"]?.stringValue ?? ""))
            add(.runtime, fields["runtime"]?.doubleValue.map { String($0) } ?? "")
        case .failed:
            state = "FAILURE"
            add(.failed, now)
            add(.exception, HistoryBounds.bounded(fields["exception"]?.stringValue ?? ""))
            add(.traceback, HistoryBounds.bounded(fields["traceback"]?.stringValue ?? "", limit: HistoryBounds.traceback))
            if let started = job.startedAt { add(.runtime, String(Date().timeIntervalSince(started))) }
        case .retried:
            state = "RETRY"
            add(.retried, now)
            add(.exception, HistoryBounds.bounded(fields["exception"]?.stringValue ?? ""))
            add(.traceback, HistoryBounds.bounded(fields["traceback"]?.stringValue ?? "", limit: HistoryBounds.traceback))
        case .revoked:
            state = "REVOKED"
            add(.revoked, now)
            add(.exception, fields["expired"]?.boolValue == true ? "expired" : (fields["terminated"]?.boolValue == true ? "terminated" : "revoked"))
        }
        // The name goes with every record whose task this worker has not recorded yet (a revoke at intake).
        if kind != .received && job.recordedState == nil && !job.message.name.isEmpty { add(.name, job.message.name) }
        if job.historyScore == nil { job.historyScore = history.score(receivedAt: job.receivedAt) }
        let previous = previousHistory(job)
        job.historyFields += record
        job.recordedState = state
        history.touch(job, previous: previous)
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
