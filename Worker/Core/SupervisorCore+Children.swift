import FoundationEssentials
import TaskQ

/// Pool children: starting them, their hello and done frames, recycling, and their exits.
extension SupervisorCore {
    /// Asks the driver for a new child.
    mutating func spawnChild() {
        nextChildNumber += 1
        children[nextChildNumber] = ChildSlot(number: nextChildNumber)
        emit(.spawnChild(nextChildNumber))
    }

    mutating func childSpawnFailed(_ number: Int, reason: String) {
        children[number] = nil
        if case .starting = lifecycle {
            emit(.abort("cannot start a pool child: \(reason)"))
        } else {
            log(.error, "cannot start a replacement child: \(reason)")
        }
        checkShutdownProgress()
    }

    mutating func childHello(_ number: Int, registered: [FromChild.RegisteredTaskInfo]) {
        guard let slot = children[number] else { return }
        if tasks.isEmpty {
            for task in registered { tasks[task.name] = TaskInfo(name: task.name, options: task.options) }
        }
        if slot.state == .starting { slot.move(to: .ready) }
        if slot.jobs.isEmpty { slot.idleSince = now }
        if case .starting = lifecycle, children.values.allSatisfy({ $0.state != .starting }) {
            transition(to: .running)
            emit(.announceReady)
            emit(.workerEvent(.online))
            emit(.recordStatus(online: true))
            emit(.startClaimer(queues: queues))
            claiming = true
            credits.reset()
        }
        dispatchPending()
    }

    mutating func childDone(_ number: Int, job jobNumber: Int, outcome: JobOutcome, residentKiB: Int?) {
        guard let slot = children[number], let job = jobs.removeValue(forKey: jobNumber) else { return }
        slot.jobs.removeAll { $0 == jobNumber }
        if slot.exclusiveJob == jobNumber { slot.exclusiveJob = nil }
        if slot.jobs.isEmpty { slot.idleSince = now }
        slot.tasksRun += 1
        processed += 1
        totals[job.message.name, default: 0] += 1
        if let started = job.startedAt { placement.record(job.message.name, seconds: now.timeIntervalSince(started)) }
        if let end = job.state.decidedEnd {
            // Cancelled for its hard time limit or a terminate: it ends as decided, however it ended.
            fail(job, state: end.state, exception: end.exception, traceback: nil)
        } else {
            finish(job, outcome: outcome)
        }
        // The child goes on with the next job it holds, at once.
        if slot.state != .killed, let next = slot.jobs.first.flatMap({ jobs[$0] }) { begin(next) }
        recycleIfNeeded(slot, residentKiB: residentKiB)
        dispatchPending()
        checkShutdownProgress()
    }

    /// Retires a child that ran its share of tasks or uses too much memory; a retiring child
    /// is asked to exit once it holds no job.
    mutating func recycleIfNeeded(_ slot: ChildSlot, residentKiB: Int?) {
        if slot.state == .retiring {
            // Marked to go while it ran tasks (recycling, shrinking, shutdown): it goes once idle.
            if slot.jobs.isEmpty { emit(.askChildToExit(slot.number)) }
            return
        }
        guard slot.state == .ready else { return }
        var reason: String?
        if let limit = configuration.maxTasksPerChild, slot.tasksRun >= limit {
            reason = "ran \(slot.tasksRun) tasks (--max-tasks-per-child \(limit))"
        } else if let limit = configuration.maxMemoryPerChild, let used = residentKiB, used > limit {
            reason = "uses \(used) KiB (--max-memory-per-child \(limit))"
        }
        guard let reason else { return }
        log(.info, "Replacing child \(slot.pid.map(String.init) ?? "#\(slot.number)"): it \(reason)")
        slot.move(to: .retiring)
        if slot.jobs.isEmpty { emit(.askChildToExit(slot.number)) }
    }

    mutating func childExited(_ number: Int, status: Int32, signaled: Bool) {
        guard let slot = children.removeValue(forKey: number) else { return }
        let how = signaled ? "signal \(status) (\(signalName(status)))" : "exitcode \(status)"
        let pid = slot.pid ?? 0
        var neverStarted: [Job] = []
        var started: [Job] = []
        for jobNumber in slot.jobs {
            guard let job = jobs.removeValue(forKey: jobNumber) else { continue }
            if job.startedAt == nil {
                neverStarted.append(job)
            } else {
                started.append(job)
            }
        }
        takeBack(neverStarted)
        if isAsync && started.count > 1 {
            asyncChildLost(started, killedOnPurpose: slot.state == .killed, how: how, pid: pid)
        } else {
            for job in started {
                processed += 1
                totals[job.message.name, default: 0] += 1
                childLost(job, how: how, pid: pid)
            }
        }
        if slot.state != .retiring && slot.state != .killed && lifecycle.replacesChildren {
            log(.error, "Process \(pid) (child \(number)) exited with \(how)")
        }
        if lifecycle.replacesChildren && slot.replaceOnExit { spawnChild() }
        checkShutdownProgress()
    }

    /// Jobs sent to a child that died before they started: they go back to the front of
    /// the pending list (or to Redis when shutting down), with no delivery counted.
    mutating func takeBack(_ unstarted: [Job]) {
        guard !unstarted.isEmpty else { return }
        log(.info, "Taking back \(unstarted.count) task(s) that waited in the child and never started: \(unstarted.map(\.label).joined(separator: ", "))")
        if lifecycle.acceptsWork {
            for job in unstarted { job.move(to: .pending) }
            pending.insert(contentsOf: unstarted, at: 0)
        } else {
            for job in unstarted { job.move(to: .finished) }
            emit(.restore(unstarted.map(\.delivery), countsAsDelivery: false))
        }
    }

    /// An async child that ran several tasks died. Killed on purpose (one task's hard time limit
    /// or terminate): that task ends as decided and the others go back to their queues, not
    /// counted as deliveries. Died by itself: nothing tells which task took it down, so every one
    /// goes back, counted; each then runs alone in its child (`runsAlone`), where the one that
    /// traps again fails with WorkerLostError, or, past `--max-deliveries`, is dead-lettered.
    mutating func asyncChildLost(_ started: [Job], killedOnPurpose: Bool, how: String, pid: Int32) {
        var giveBack: [Job] = []
        for job in started {
            if job.state.decidedEnd != nil {
                // Cancelled or killed for its time limit or a terminate: it ends as decided.
                processed += 1
                totals[job.message.name, default: 0] += 1
                childLost(job, how: how, pid: pid)
            } else {
                giveBack.append(job)
            }
        }
        guard !giveBack.isEmpty else { return }
        if killedOnPurpose {
            log(.warning, "Giving back \(giveBack.count) task(s) that shared child \(pid) with the one it was killed for: \(giveBack.map(\.label).joined(separator: ", "))")
        } else {
            log(.error, "Child \(pid) exited with \(how) while it ran \(giveBack.count) tasks; giving them back to run again, each alone: \(giveBack.map(\.label).joined(separator: ", "))")
        }
        for job in giveBack { job.move(to: .finished) }
        emit(.restore(giveBack.map(\.delivery), countsAsDelivery: !killedOnPurpose))
    }
}
