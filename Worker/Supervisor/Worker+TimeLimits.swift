import FoundationEssentials
import Logging
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// Hard time limits: the kill of a child whose job ran past its deadline.
extension Worker {
    func enforceTimeLimits() {
        let now = Date()
        for job in jobs.values {
            guard let deadline = job.hardDeadline, deadline < now, job.killedFor == nil,
                  let number = job.child, let slot = children[number] else { continue }
            let limit = job.hardLimit ?? 0
            logger.error("Hard time limit (\(limit)s) exceeded for \(job.label)")
            job.killedFor = (.failure, ExceptionInfo(type: "TimeLimitExceeded", arguments: [.double(limit)], module: "billiard.exceptions"))
            slot.state = .retiring
            slot.kill()
        }
    }
}
