import FoundationEssentials
import TaskQ

/// How a job ends: its result, failure, revocation or retry, each stored and acked once,
/// and the workflow steps that follow it.
extension SupervisorCore {
    /// Records what a child reported for a job: success, failure, retry, or a drop.
    mutating func finish(_ job: Job, outcome: JobOutcome) {
        if job.dropReason != nil, outcome != .dropped {
            // The drop reached its child after it had started the job: it ran, so it started.
            taskEvent(.started, job)
        }
        let runtime = now.timeIntervalSince(job.startedAt ?? job.receivedAt)
        switch outcome {
        case .success(let value):
            log(.info, "Task \(job.label) succeeded in \(FixedPoint.text(runtime, places: 4))s: \(Self.logRepr(value))")
            taskEvent(.succeeded, job, ["result": .string(PythonRepr.truncated(PythonRepr.of(value))), "runtime": .double(runtime)])
            job.move(to: .finished)
            if job.message.ignoresResult || job.info.ignoreResult {
                if let tag = ackTag(settling: job) { emit(.ack(tag: tag)) }
            } else {
                emit(.store(ResultRecord(taskID: job.message.id, status: .success, result: value, dateDone: now,
                                         extra: Self.parentExtras(job.message)), ackTag: ackTag(settling: job)))
            }
            continueChain(after: job, result: value)
            joinChord(after: job, state: .success, result: value)
        case .replaced:
            // Its replacement runs under the same id and carries its chain, chord and callbacks.
            log(.info, "Task \(job.label) replaced by a new task in \(FixedPoint.text(runtime, places: 4))s")
            job.move(to: .finished)
            if let tag = ackTag(settling: job) { emit(.ack(tag: tag)) }
        case .dropped:
            // Revoked while it waited in the child, which never started it.
            fail(job, state: .revoked, exception: .revoked(job.dropReason ?? "revoked"), traceback: nil)
        case .retry(let countdown, let exception, let traceback):
            log(.info, "Task \(job.label) retry: Retry in \("\(countdown)")s: \(exception)")
            taskEvent(.retried, job, ["exception": .string(exception.pythonRepr), "traceback": traceback.map(JSONValue.string) ?? .null])
            retry(job, countdown: countdown, exception: exception, traceback: traceback)
        case .failure(let exception, let traceback):
            fail(job, state: .failure, exception: exception, traceback: traceback)
        }
    }

    /// A result as the log line shows it: Python's repr, at most 200 characters.
    static func logRepr(_ value: JSONValue) -> String {
        let repr = PythonRepr.truncated(PythonRepr.of(value))
        return repr.count > 200 ? String(repr.prefix(197)) + "..." : repr
    }

    /// Stores a failure or revocation (acking the delivery unless already acked), logs it as
    /// Celery does, fails the rest of its chain, sends its errbacks and joins its chord.
    mutating func fail(_ job: Job, state: TaskState, exception: ExceptionInfo, traceback: String?) {
        if state == .revoked {
            log(.warning, "Task \(job.label) \(exception.message == "expired" ? "expired" : "revoked"): \(exception.message)")
            taskEvent(.revoked, job, ["terminated": .bool(exception.message == "terminated"), "signum": .null,
                                      "expired": .bool(exception.message == "expired")])
        } else {
            log(.error, "Task \(job.label) raised unexpected: \(exception.pythonRepr)")
            taskEvent(.failed, job, ["exception": .string(exception.pythonRepr), "traceback": .string(traceback ?? "")])
        }
        job.move(to: .finished)
        let record = ResultRecord(taskID: job.message.id, status: state, exception: exception,
                                  traceback: state == .revoked ? nil : (traceback ?? "Traceback (most recent call last):\n\(exception.module).\(exception)\n"),
                                  dateDone: now, extra: Self.parentExtras(job.message))
        emit(.store(record, ackTag: ackTag(settling: job)))
        failChain(after: job, exception: exception, traceback: traceback)
        if state == .failure { sendErrbacks(after: job) }
        joinChord(after: job, state: state, result: exception.json)
    }

    /// A job whose child died under it: the end the worker chose when it killed the child,
    /// else requeued once more (acks-late + reject-on-worker-lost) or failed with WorkerLostError.
    mutating func childLost(_ job: Job, how: String, pid: Int32) {
        if let end = job.state.decidedEnd {
            fail(job, state: end.state, exception: end.exception, traceback: nil)
            return
        }
        if job.acksLate && job.info.rejectOnWorkerLost && !job.acked {
            log(.warning, "Task \(job.label): child \(pid) exited with \(how); requeueing (reject_on_worker_lost, delivery \(job.claimed.deliveries) of at most \(configuration.maxDeliveries))")
            job.move(to: .finished)
            emit(.restore([job.delivery], countsAsDelivery: true))
            return
        }
        let exception = ExceptionInfo.workerLost("Worker exited prematurely: \(how) Job: \(job.number).")
        fail(job, state: .failure, exception: exception, traceback: nil)
    }

    /// Stores RETRY and schedules the next attempt: same id, `retries + 1`, ETA now + countdown.
    /// (Whether to retry, and after how long, the child decided by the task's `RetryPolicy`.)
    mutating func retry(_ job: Job, countdown: Double, exception: ExceptionInfo, traceback: String?) {
        job.move(to: .finished)
        var next = job.message.redelivery()
        next.properties[Self.heldForETAProperty] = nil   // a new delivery: announced as received again
        next.headers["retries"] = .int(job.message.retries + 1)
        next.headers["parent_id"] = .string(job.message.id)
        let due = now.addingTimeInterval(countdown)
        next.headers["eta"] = .string(CeleryTime.format(due))
        let record = ResultRecord(taskID: job.message.id, status: .retry, exception: exception,
                                  traceback: traceback, dateDone: nil, extra: Self.parentExtras(job.message))
        emit(.store(record, ackTag: nil))
        emit(.schedule(next, due: due, list: job.homeList, replacing: ackTag(settling: job)))
    }
}
