import FoundationEssentials
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// Time limits: which hard and soft limits apply to a job, and the kill of a child whose
/// job ran past its hard deadline (the soft limit is the child's to raise).
extension SupervisorCore {
    /// The limits a job runs under: its message's `timelimit` header, else remote control's,
    /// the task's and the worker's, each held to what can be enforced (`TimeLimitRange`).
    mutating func effectiveTimeLimits(_ job: Job) -> (hard: Double?, soft: Double?) {
        let asked = job.message.timeLimits
        let hard = TimeLimitRange.accepted(asked.hard)
        let soft = TimeLimitRange.accepted(asked.soft)
        if let note = hard.adjustment { log(.warning, "Task \(job.label): hard time limit \(note)") }
        if let note = soft.adjustment { log(.warning, "Task \(job.label): soft time limit \(note)") }
        let override = timeLimitOverrides[job.message.name]
        return (hard.seconds ?? TimeLimitRange.clamped(override?.hard ?? job.info.timeLimit ?? configuration.timeLimit),
                soft.seconds ?? TimeLimitRange.clamped(override?.soft ?? job.info.softTimeLimit ?? configuration.softTimeLimit))
    }

    /// Seconds an async task has to end after it was cancelled (hard time limit, terminate)
    /// before its child is killed.
    static let cancelGrace = 1.0

    /// Enforces hard deadlines. Prefork: the child of a job past its deadline is killed, and the
    /// job fails with `TimeLimitExceeded` when its exit is seen. Async: the job's task is cancelled
    /// first; if it has not ended `cancelGrace` seconds later, its child is killed (its other tasks
    /// are given back to their queues, not counted as deliveries).
    mutating func enforceTimeLimits() {
        // Only the jobs past a deadline are sorted (usually none), not every job each tick.
        let due = jobs.values.filter { job in
            switch job.state {
            case .running(_, let deadline?): return deadline < now
            case .cancelling(_, let killAt, _, _): return killAt < now
            default: return false
            }
        }
        for job in due.sorted(by: { $0.number < $1.number }) {
            switch job.state {
            case .running(let child, let deadline?) where deadline < now:
                let limit = job.hardLimit ?? 0
                log(.error, "Hard time limit (\(limit)s) exceeded for \(job.label)")
                let exception = ExceptionInfo(type: "TimeLimitExceeded", arguments: [.double(limit)], module: "billiard.exceptions")
                if isAsync {
                    cancel(job, child: child, state: .failure, exception: exception)
                } else if let slot = children[child] {
                    job.move(to: .killed(child: child, state: .failure, exception: exception))
                    kill(slot, signal: SIGKILL)
                }
            case .cancelling(let child, let killAt, let state, let exception) where killAt < now:
                guard let slot = children[child] else { continue }
                log(.error, "Task \(job.label) did not end within \(Self.cancelGrace)s of its cancellation: killing its child \(slot.pid.map(String.init) ?? "#\(child)")")
                job.move(to: .killed(child: child, state: state, exception: exception))
                kill(slot, signal: SIGKILL)
            default:
                continue
            }
        }
    }

    /// Cancels an async job's task; it ends with `state` and `exception` however it ends.
    mutating func cancel(_ job: Job, child: Int, state: TaskState, exception: ExceptionInfo) {
        job.move(to: .cancelling(child: child, killAt: now.addingTimeInterval(Self.cancelGrace), state: state, exception: exception))
        emit(.sendCancel(child: child, job: job.number))
    }

    /// Kills a child on purpose: it takes no more jobs, and those queued in it never begin there.
    mutating func kill(_ slot: ChildSlot, signal: Int32) {
        slot.move(to: .killed)
        emit(.killChild(slot.number, signal: signal))
    }
}
