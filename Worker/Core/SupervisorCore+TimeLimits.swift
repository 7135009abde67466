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

    /// Kills the child of every running job past its hard deadline; the job fails with
    /// `TimeLimitExceeded` when the child's exit is seen.
    mutating func enforceTimeLimits() {
        for job in jobs.values {
            guard case .running(let child, let deadline?) = job.state, deadline < now, let slot = children[child] else { continue }
            let limit = job.hardLimit ?? 0
            log(.error, "Hard time limit (\(limit)s) exceeded for \(job.label)")
            job.move(to: .killed(child: child, state: .failure,
                                 exception: ExceptionInfo(type: "TimeLimitExceeded", arguments: [.double(limit)], module: "billiard.exceptions")))
            kill(slot, signal: SIGKILL)
        }
    }

    /// Kills a child on purpose: it takes no more jobs, and those queued in it never begin there.
    mutating func kill(_ slot: ChildSlot, signal: Int32) {
        slot.move(to: .killed)
        emit(.killChild(slot.number, signal: signal))
    }
}
