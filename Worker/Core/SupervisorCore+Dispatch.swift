import FoundationEssentials
import TaskQ

/// Dispatch: prefetch credits for the claimer, the choice of child, the run frame, and the
/// start of a job's run (the rate gates are in `SupervisorCore+RateLimits.swift`).
extension SupervisorCore {
    /// The runnable messages the worker may hold now (see `PrefetchRule`).
    var prefetchLimit: Int {
        PrefetchRule(multiplier: configuration.prefetchMultiplier)
            .limit(slots: children.count * configuration.pool.tasksPerChild, averageRuntime: placement.overallRuntime)
    }

    /// The prefetch multiplier in force now: the one given, or the default's current one.
    var prefetchMultiplier: Int {
        PrefetchRule(multiplier: configuration.prefetchMultiplier).multiplier(averageRuntime: placement.overallRuntime)
    }

    /// Grants the claimer what the prefetch limit allows beyond what the worker holds.
    mutating func refillCredits() {
        guard lifecycle.acceptsWork, claiming else { return }
        let throttled = pending.reduce(0) { $0 + ($1.state.isWaitingForRate ? 1 : 0) }
        let granted = credits.grant(limit: prefetchLimit, held: pending.count + jobs.count, throttled: throttled)
        if granted > 0 { emit(.grantCredits(granted)) }
    }

    /// Starts pending jobs on children with a free slot, in order, skipping the ones a
    /// rate limit holds back (they wait without blocking other tasks).
    mutating func dispatchPending() {
        guard lifecycle.acceptsWork else { return }
        if !aloneReservations.isEmpty { dropStaleReservations() }
        var index = 0
        while index < pending.count {
            let job = pending[index]
            guard let child = freeChild(for: job) else {
                // A job that must run alone waits for an idle child without holding back the others.
                if isAsync && Self.runsAlone(job) {
                    reserveChild(for: job)
                    index += 1
                    continue
                }
                return
            }
            if revokedIDs.contains(job.message.id, now: epoch) {
                pending.remove(at: index)
                discardRevoked(job)
                continue
            }
            guard passRateGates(job) else {
                index += 1
                continue
            }
            pending.remove(at: index)
            start(job, on: child)
        }
    }

    /// A child for `job` (see `ChildPlacement`): an idle one first, else for a short job a busy
    /// child holding only short jobs, so that it has its next task at hand.
    func freeChild(for job: Job) -> ChildSlot? {
        if isAsync { return asyncChild(for: job) }
        let candidates = children.lazy.map { number, slot in
            ChildPlacement.Candidate(number: number, accepting: slot.accepting, held: slot.jobs.count)
        }
        // The closure captures these, not `self`: capturing the core copied the whole struct per dispatch.
        let children = self.children, jobs = self.jobs, placement = self.placement
        let overrides = timeLimitOverrides, defaultLimit = configuration.timeLimit
        let chosen = placement.choose(for: job.message.name, hasHardLimit: hasHardLimit(job), among: candidates) { number in
            children[number]?.jobs.allSatisfy { number in
                jobs[number].map { placement.isShort($0.message.name, hasHardLimit: Self.hasHardLimit($0, overrides: overrides, defaultLimit: defaultLimit)) } ?? false
            } ?? false
        }
        return chosen.flatMap { children[$0] }
    }

    /// Whether the pool runs many tasks per child.
    var isAsync: Bool { configuration.pool.kind == .async }

    /// An async child for `job`: the least busy one with a free slot (the lower number on ties),
    /// not one kept for a job that must run alone. A job delivered before (it was running when a
    /// child died) runs alone in an idle child, so that a task which takes its child down is told
    /// from the ones that died with it: the child reserved for it once it drained, or any idle one.
    func asyncChild(for job: Job) -> ChildSlot? {
        guard Self.runsAlone(job) else {
            let best = leastBusyAsyncChild()
            return best.flatMap { $0.jobs.count < configuration.pool.tasksPerChild ? $0 : nil }
        }
        if let reserved = aloneReservations.first(where: { $0.value == job.number })?.key {
            return children[reserved].flatMap { $0.jobs.isEmpty ? $0 : nil }
        }
        return leastBusyAsyncChild().flatMap { $0.jobs.isEmpty ? $0 : nil }
    }

    /// The accepting async child holding the fewest jobs (the lower number on ties), leaving out
    /// children that run a job alone or are reserved for one.
    func leastBusyAsyncChild() -> ChildSlot? {
        var best: ChildSlot?
        for slot in children.values where slot.accepting && slot.exclusiveJob == nil && aloneReservations[slot.number] == nil {
            if let current = best, (current.jobs.count, current.number) <= (slot.jobs.count, slot.number) { continue }
            best = slot
        }
        return best
    }

    /// Keeps the least busy async child for `job`, which must run alone and found no idle child:
    /// the child takes no new jobs, so it drains and the job runs there even under steady load.
    mutating func reserveChild(for job: Job) {
        guard !aloneReservations.values.contains(job.number), let spare = leastBusyAsyncChild() else { return }
        aloneReservations[spare.number] = job.number
    }

    /// Forgets reservations whose child no longer takes jobs or whose job no longer waits.
    mutating func dropStaleReservations() {
        for (child, jobNumber) in aloneReservations
        where children[child]?.accepting != true || !pending.contains(where: { $0.number == jobNumber }) {
            aloneReservations[child] = nil
        }
    }

    /// Whether an async pool runs `job` alone in its child.
    static func runsAlone(_ job: Job) -> Bool { job.claimed.deliveries > 1 }

    /// Whether a hard time limit applies to `job`, from its message, remote control, its task or the worker.
    func hasHardLimit(_ job: Job) -> Bool {
        Self.hasHardLimit(job, overrides: timeLimitOverrides, defaultLimit: configuration.timeLimit)
    }

    /// Whether a hard time limit applies to `job`: its message's, a `time_limit` control override
    /// for its task, its registration's, or the worker's default.
    static func hasHardLimit(_ job: Job, overrides: [String: (hard: Double?, soft: Double?)], defaultLimit: Double?) -> Bool {
        job.message.timeLimits.hard != nil || overrides[job.message.name]?.hard != nil || job.info.timeLimit != nil || defaultLimit != nil
    }

    /// Whether a job may wait in a child's queue.
    func isShort(_ job: Job) -> Bool {
        placement.isShort(job.message.name, hasHardLimit: hasHardLimit(job))
    }

    /// Sends a job to a child; it starts at once when the child holds nothing else.
    mutating func start(_ job: Job, on slot: ChildSlot) {
        if let expires = job.message.expires, expires < now {
            revokeExpired(job)
            return
        }
        let limits = effectiveTimeLimits(job)
        job.hardLimit = limits.hard
        job.move(to: .queuedInChild(child: slot.number))
        jobs[job.number] = job
        slot.jobs.append(job.number)
        slot.idleSince = nil
        if isAsync && Self.runsAlone(job) {
            slot.exclusiveJob = job.number
            aloneReservations[slot.number] = nil
        }
        emit(.sendRun(child: slot.number, job: job, softTimeLimit: limits.soft))
        // A prefork child runs its first job now and the others after it; an async child all at once.
        if slot.jobs.count == 1 || isAsync { begin(job) }
    }

    /// A job's run begins on its child: start time, hard deadline, `task-started`, and the
    /// ack of an early-acking task (prefork only: an async child's siblings are given back
    /// when it dies, so their deliveries are acked with their results).
    /// A job the worker asked its child to drop begins too, silently: the drop may reach the child
    /// after it started the job, which then runs under its deadline like any other (and is
    /// announced started when its outcome shows it ran; see `finish`).
    mutating func begin(_ job: Job) {
        let child: Int
        let dropAsked: Bool
        switch job.state {
        case .queuedInChild(let number): (child, dropAsked) = (number, false)
        case .dropping(let number): (child, dropAsked) = (number, true)
        default: return
        }
        job.move(to: .running(child: child, deadline: job.hardLimit.map { now.addingTimeInterval($0) }), at: now)
        guard !dropAsked else { return }
        taskEvent(.started, job)
        if !job.acksLate && !isAsync { job.ack = .deferred }
    }
}
