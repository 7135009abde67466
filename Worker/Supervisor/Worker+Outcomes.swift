import FoundationEssentials
import TaskQ

extension Worker {
    /// Records what a child reported for a job: success, failure or retry.
    func finish(_ job: Job, outcome: JobOutcome) {
        let runtime = Date().timeIntervalSince(job.startedAt ?? job.receivedAt)
        switch outcome {
        case .success(let value):
            // Both messages are autoclosures: the repr is built only for a log level or events that want it.
            logger.info("Task \(job.label) succeeded in \(FixedPoint.text(runtime, places: 4))s: \(Self.logRepr(value))")
            taskEvent("task-succeeded", job, ["result": .string(PythonRepr.truncated(PythonRepr.of(value))), "runtime": .double(runtime)])
            if job.message.ignoresResult || job.info.ignoreResult {
                if let tag = ackTag(settling: job) { writes.ack(tag) }
            } else {
                writes.store(ResultRecord(taskID: job.message.id, status: .success, result: value, dateDone: Date(),
                                          extra: parentExtras(job.message)), ackTag: ackTag(settling: job))
            }
            continueChain(after: job, result: value)
            joinChord(after: job, state: .success, result: value)
        case .dropped:
            // Revoked while it waited in the child, which never started it.
            fail(job, state: .revoked, exception: .revoked(job.dropRequested ?? "revoked"), traceback: nil, ackTag: ackTag(settling: job))
        case .retry(let countdown, let exception, let traceback):
            logger.info("Task \(job.label) retry: Retry in \("\(countdown)")s: \(exception)")
            taskEvent("task-retried", job, ["exception": .string(exception.pythonRepr), "traceback": traceback.map(JSONValue.string) ?? .null])
            retry(job, countdown: countdown, exception: exception, traceback: traceback)
        case .failure(let exception, let traceback):
            fail(job, state: .failure, exception: exception, traceback: traceback, ackTag: ackTag(settling: job))
        }
    }

    /// A result as the log line shows it: Python's repr, at most 200 characters.
    static func logRepr(_ value: JSONValue) -> String {
        let repr = PythonRepr.truncated(PythonRepr.of(value))
        return repr.count > 200 ? String(repr.prefix(197)) + "..." : repr
    }

    /// Stores a failure and logs it as Celery does.
    func fail(_ job: Job, state: TaskState, exception: ExceptionInfo, traceback: String?, ackTag: String?) {
        if state == .revoked {
            logger.warning("Task \(job.label) \(exception.message == "expired" ? "expired" : "revoked"): \(exception.message)")
            taskEvent("task-revoked", job, ["terminated": .bool(exception.message == "terminated"), "signum": .null,
                                            "expired": .bool(exception.message == "expired")])
        } else {
            logger.error("Task \(job.label) raised unexpected: \(exception.pythonRepr)")
            taskEvent("task-failed", job, ["exception": .string(exception.pythonRepr),
                                           "traceback": .string(traceback ?? "")])
        }
        let record = ResultRecord(taskID: job.message.id, status: state, exception: exception,
                                  traceback: state == .revoked ? nil : (traceback ?? "Traceback (most recent call last):\n\(exception.module).\(exception)\n"),
                                  dateDone: Date(), extra: parentExtras(job.message))
        writes.store(record, ackTag: ackTag)
        failChain(after: job, exception: exception, traceback: traceback)
        if state == .failure { sendErrbacks(after: job) }
        joinChord(after: job, state: state, result: exception.json)
    }

    /// A job whose child died under it: requeue once (acks-late + reject-on-worker-lost) or fail.
    func childLost(_ job: Job, how: String, pid: Int32) {
        if let killed = job.killedFor {
            fail(job, state: killed.state, exception: killed.exception, traceback: nil, ackTag: ackTag(settling: job))
            return
        }
        if job.acksLate && job.info.rejectOnWorkerLost && !job.acked {
            logger.warning("Task \(job.label): child \(pid) exited with \(how); requeueing (reject_on_worker_lost, delivery \(job.claimed.deliveries) of at most \(configuration.maxDeliveries))")
            writes.restore([(job.claimed.deliveryTag, job.homeList)], countsAsDelivery: true)
            return
        }
        let exception = ExceptionInfo.workerLost("Worker exited prematurely: \(how) Job: \(job.number).")
        fail(job, state: .failure, exception: exception, traceback: nil, ackTag: ackTag(settling: job))
    }

    /// Stores REVOKED `expired` for a message past its `expires` time.
    func revokeExpired(_ job: Job) {
        fail(job, state: .revoked, exception: .revoked("expired"), traceback: nil, ackTag: ackTag(settling: job))
    }

    /// Stores RETRY and schedules the next attempt: same id, `retries + 1`, ETA now + countdown.
    func retry(_ job: Job, countdown: Double, exception: ExceptionInfo, traceback: String?) {
        var next = job.message.redelivery()
        next.properties[Self.heldForETAProperty] = nil   // a new delivery: announced as received again
        next.headers["retries"] = .int(job.message.retries + 1)
        next.headers["parent_id"] = .string(job.message.id)
        let due = Date().addingTimeInterval(countdown)
        next.headers["eta"] = .string(CeleryTime.format(due))
        let record = ResultRecord(taskID: job.message.id, status: .retry, exception: exception,
                                  traceback: traceback, dateDone: nil, extra: parentExtras(job.message))
        writes.store(record, ackTag: nil)
        writes.schedule(next, due: due, list: job.homeList, replacing: ackTag(settling: job))
    }

    /// Pushes a message back to the head of a list (it is consumed next).
    func republish(_ message: TaskMessage, list: String) {
        writes.broker.enqueue([.command(RedisCommand("RPUSH", list, message.envelope()))])
    }

    /// `parent_id` / `group_id` members of a result record, as Celery writes them.
    func parentExtras(_ message: TaskMessage) -> [String: JSONValue] {
        var extra: [String: JSONValue] = [:]
        if let parent = message.parentID { extra["parent_id"] = .string(parent) }
        if let group = message.groupID { extra["group_id"] = .string(group) }
        return extra
    }
}
