import FoundationEssentials
import TaskQ

/// The rate gates a job passes on its way to a child: the worker's own token bucket per
/// task (`rate_limit`) and the limit shared by every worker (`global_rate_limit`, one
/// Redis script call per slot, asked as a side request).
extension SupervisorCore {
    /// Whether `job` may start now; when not, it is left throttled or waiting for the shared
    /// limiter's answer, and a wake-up is asked for when its turn is known.
    mutating func passRateGates(_ job: Job) -> Bool {
        var holdsShared = job.state.holdsSharedSlot
        switch job.state {
        case .throttled(let until, let holds):
            if until > epoch { return false }
            job.move(to: holds ? .holdsSharedToken : .pending)
            holdsShared = holds
        case .awaitingSharedToken:
            return false
        default:
            break
        }
        if let shared = job.info.globalRateLimit, !holdsShared, let interval = try? RateLimit(shared).interval {
            switch rateGate.sharedStep(job.message.name, now: epoch) {
            case .awaitAnswer:
                // Counted as throttled; looked at again after the answer.
                job.move(to: .throttled(until: epoch, holdsSharedToken: false))
            case .wait(let until):
                job.move(to: .throttled(until: until, holdsSharedToken: false))
            case .ask:
                job.move(to: .awaitingSharedToken)
                emit(.askSharedToken(job: job.number, task: job.message.name, interval: interval))
            }
            return false
        }
        if let wait = takeLocalToken(for: job) {
            job.move(to: .throttled(until: epoch + wait, holdsSharedToken: holdsShared))
            emit(.wake(after: wait))
            return false
        }
        return true
    }

    /// Takes the per-worker token of the job's task; returns the wait when there is none.
    mutating func takeLocalToken(for job: Job) -> Double? {
        guard let text = tasks[job.message.name]?.rateLimit, let interval = try? RateLimit(text).interval else { return nil }
        return rateGate.takeLocal(job.message.name, interval: interval, now: epoch)
    }

    /// The shared limiter answered for job `number`: it holds a slot, or waits `wait` seconds.
    mutating func sharedTokenAnswered(job number: Int, task: String, wait: Double) {
        let until = rateGate.answered(task, wait: wait, now: epoch)
        if let job = pending.first(where: { $0.number == number }), job.state == .awaitingSharedToken {
            if let until {
                job.move(to: .throttled(until: until, holdsSharedToken: false))
                emit(.wake(after: wait))
            } else {
                job.move(to: .holdsSharedToken)
            }
        }
        dispatchPending()
    }
}
