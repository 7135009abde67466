import FoundationEssentials
import Logging
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// Dispatch: prefetch credits for the claimer, rate gates, the choice of child, the run frame, and the early ack.
extension Worker {
    func startClaimer() {
        let post = self.post
        var current = configuration
        current.queues = queues
        credits.reset()
        claimer = MessageClaimer(configuration: current, logger: logger) { post.yield(.claimed($0)) }
    }

    /// Restarts the claimer after the queue list changed (add/cancel consumer).
    func restartClaimer() {
        claimer?.stop()
        claimer = nil
        startClaimer()
    }

    func refillCredits() {
        guard state.acceptsWork, let claimer else { return }
        let throttled = pending.reduce(0) { $0 + ($1.isWaitingForRate ? 1 : 0) }
        let granted = credits.grant(children: children.count, multiplier: configuration.prefetchMultiplier,
                                    held: pending.count + jobs.count, throttled: throttled)
        if granted > 0 { claimer.grant(granted) }
    }

    /// Starts pending jobs on children with a free slot, in order, skipping the ones a
    /// rate limit holds back (they wait without blocking other tasks).
    func dispatchPending() {
        guard state.acceptsWork else { return }
        let now = Date().timeIntervalSince1970
        var index = 0
        while index < pending.count {
            let job = pending[index]
            guard let (number, slot) = freeChild(for: job) else { return }
            if let until = job.throttledUntil {
                if until > now {
                    index += 1
                    continue
                }
                job.throttledUntil = nil
            }
            if revokedIDs.contains(job.message.id) {
                pending.remove(at: index)
                discardRevoked(job)
                continue
            }
            if job.waitingForGlobalToken {
                index += 1
                continue
            }
            if let shared = job.info.globalRateLimit, !job.hasGlobalToken, let interval = try? RateLimit(shared).interval {
                switch rateGate.sharedStep(job.message.name, now: now) {
                case .awaitAnswer:
                    job.throttledUntil = now   // counted as throttled; looked at again after the answer
                case .wait(let until):
                    job.throttledUntil = until
                case .ask:
                    requestGlobalToken(for: job, interval: interval)
                }
                index += 1
                continue
            }
            if let wait = takeLocalToken(for: job, now: now) {
                job.throttledUntil = now + wait
                wake(after: wait)
                index += 1
                continue
            }
            pending.remove(at: index)
            start(job, on: slot, number: number)
        }
    }

    /// Takes the per-worker token of the job's task; returns the wait when there is none.
    func takeLocalToken(for job: Job, now: Double) -> Double? {
        guard let text = tasks[job.message.name]?.rateLimit, let interval = try? RateLimit(text).interval else { return nil }
        return rateGate.takeLocal(job.message.name, interval: interval, now: now)
    }

    /// Asks Redis' shared limiter for a slot; the answer comes back as `.globalToken`.
    func requestGlobalToken(for job: Job, interval: Double) {
        job.waitingForGlobalToken = true
        let number = job.number
        let name = job.message.name
        let key = GlobalRateLimiter.key(for: name)
        Task { [rateClient, post, logger] in
            do {
                let reply = try await rateClient.evaluate(GlobalRateLimiter.script, keys: [key],
                                                          arguments: [interval])
                post.yield(.globalToken(job: number, task: name, wait: reply.string.flatMap(Double.init) ?? 0))
            } catch {
                logger.error("shared rate limit check failed: \(error); trying again shortly")
                post.yield(.globalToken(job: number, task: name, wait: 0.5))
            }
        }
    }

    /// Posts a tick after `seconds`, for a throttled job's turn.
    func wake(after seconds: Double) {
        let post = self.post
        Task {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000) + 1))
            post.yield(.tick)
        }
    }

    /// A child for `job` (see `ChildPlacement`): an idle one first, else for a short job a busy
    /// child holding only short jobs, so that it has its next task at hand.
    func freeChild(for job: Job) -> (Int, ChildSlot)? {
        let candidates = children.lazy.map { number, slot in
            ChildPlacement.Candidate(number: number, accepting: slot.state == .ready, held: slot.jobs.count)
        }
        let chosen = placement.choose(for: job.message.name, hasHardLimit: hasHardLimit(job), among: candidates) { number in
            self.children[number]?.jobs.allSatisfy { self.jobs[$0].map(self.isShort) ?? false } ?? false
        }
        guard let number = chosen, let slot = children[number] else { return nil }
        return (number, slot)
    }

    /// Whether a hard time limit applies to `job`, from its message, remote control, its task or the worker.
    func hasHardLimit(_ job: Job) -> Bool {
        job.message.timeLimits.hard != nil || timeLimitOverrides[job.message.name]?.hard != nil
            || job.info.timeLimit != nil || configuration.timeLimit != nil
    }

    /// Whether a job may wait in a child's queue.
    func isShort(_ job: Job) -> Bool {
        placement.isShort(job.message.name, hasHardLimit: hasHardLimit(job))
    }

    /// Sends a job to a child; it starts at once when the child holds nothing else.
    func start(_ job: Job, on slot: ChildSlot, number: Int) {
        if let expires = job.message.expires, expires < Date() {
            revokeExpired(job)
            return
        }
        let limits = messageTimeLimits(job)
        let override = timeLimitOverrides[job.message.name]
        job.hardLimit = limits.hard ?? TimeLimitRange.clamped(override?.hard ?? job.info.timeLimit ?? configuration.timeLimit)
        let soft = limits.soft ?? TimeLimitRange.clamped(override?.soft ?? job.info.softTimeLimit ?? configuration.softTimeLimit)
        job.child = number
        jobs[job.number] = job
        slot.jobs.append(job.number)
        let frame = ToChild.RunRequest.encode(job: job.number, message: job.message, softTimeLimit: soft)
        if slot.jobs.count == 1 { begin(job, on: slot) }
        if !slot.process.send(encoded: frame) {
            logger.warning("child \(number) did not take \(job.label); it is exiting")
        }
    }

    /// The message's own `timelimit` header, each value held to what can be enforced (a value that
    /// means no limit, such as 0 or NaN, falls back to the task's and the worker's, as in Celery).
    func messageTimeLimits(_ job: Job) -> (hard: Double?, soft: Double?) {
        let asked = job.message.timeLimits
        let hard = TimeLimitRange.accepted(asked.hard)
        let soft = TimeLimitRange.accepted(asked.soft)
        if let note = hard.adjustment { logger.warning("Task \(job.label): hard time limit \(note)") }
        if let note = soft.adjustment { logger.warning("Task \(job.label): soft time limit \(note)") }
        return (hard.seconds, soft.seconds)
    }

    /// A job's run begins on its child: start time, hard deadline, `task-started`, and the ack
    /// of an early-acking task.
    func begin(_ job: Job, on slot: ChildSlot) {
        job.startedAt = Date()
        job.hardDeadline = job.hardLimit.map { Date().addingTimeInterval($0) }
        taskEvent("task-started", job)
        if !job.acksLate {
            job.ack = .deferred
        }
    }

    /// The delivery tag a write that settles `job` must ack: its own tag when the delivery is
    /// not acked yet, or when its early ack is still deferred (taken here, so it is written once).
    func ackTag(settling job: Job) -> String? {
        switch job.ack {
        case .pending:
            return job.claimed.deliveryTag
        case .deferred:
            job.ack = .written
            return job.claimed.deliveryTag
        case .written:
            return nil
        }
    }

    /// Writes the early acks still deferred: a task that runs past one tick (≤ 100 ms) is
    /// acked then, as Celery acks on start; one that finishes sooner had its ack written
    /// with its result. Until written, a crashed worker's delivery is restored (at least
    /// once) instead of lost.
    func writeDeferredAcks() {
        for job in jobs.values where job.ack == .deferred {
            job.ack = .written
            writes.ack(job.claimed.deliveryTag)
        }
    }
}
