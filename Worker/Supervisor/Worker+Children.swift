import FoundationEssentials
import Logging
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// Pool children: starting them, their frames, recycling, and their exits.
extension Worker {
    func spawnChild() throws {
        nextChildNumber += 1
        let number = nextChildNumber
        let post = self.post
        let process = try ChildProcess(
            number: number, executable: configuration.executable,
            environment: ["TASKQ_BROKER_URL": configuration.brokerURL.unmasked,
                          "TASKQ_RESULT_BACKEND": configuration.backendURL.unmasked],
            reactor: reactor,
            onFrame: { post.yield(.frame(child: number, $0)) },
            onExit: { status, signaled in post.yield(.childExited(child: number, status: status, signaled: signaled)) })
        children[number] = ChildSlot(process: process)
    }

    func handleFrame(_ frame: JSONValue, from number: Int) {
        guard let slot = children[number] else { return }
        let message: FromChild
        do {
            message = try FromChild(frame: frame)
        } catch {
            logger.warning("child \(number) sent a frame the worker cannot use: \(error)")
            return
        }
        switch message {
        case .hello(_, _, let registered):
            if tasks.isEmpty {
                for task in registered { tasks[task.name] = TaskInfo(name: task.name, options: task.options) }
            }
            if slot.state == .starting { slot.state = .ready }
            if state == .starting && children.values.allSatisfy({ $0.state != .starting }) {
                transition(to: .running)
                printBanner()
                events.worker("worker-online", workerEventFields())
                recordStatus(workerEventFields())
                startClaimer()
            }
            dispatchPending()
        case .done(let jobNumber, let outcome):
            guard let job = jobs[jobNumber] else { return }
            slot.jobs.removeAll { $0 == jobNumber }
            slot.tasksRun += 1
            jobs[jobNumber] = nil
            processed += 1
            totals[job.message.name, default: 0] += 1
            if let started = job.startedAt { placement.record(job.message.name, seconds: Date().timeIntervalSince(started)) }
            finish(job, outcome: outcome)
            // The child goes on with the next job it holds, at once.
            if !slot.killed, let next = slot.jobs.first.flatMap({ jobs[$0] }), next.startedAt == nil { begin(next, on: slot) }
            recycleIfNeeded(slot, number: number)
            dispatchPending()
        }
    }

    func recycleIfNeeded(_ slot: ChildSlot, number: Int) {
        if slot.state == .retiring {
            // Marked to go while it ran tasks (recycling, shrinking, shutdown): it goes once idle.
            if slot.jobs.isEmpty { slot.process.requestShutdown() }
            return
        }
        guard slot.state == .ready else { return }
        var reason: String?
        if let limit = configuration.maxTasksPerChild, slot.tasksRun >= limit {
            reason = "ran \(slot.tasksRun) tasks (--max-tasks-per-child \(limit))"
        } else if let limit = configuration.maxMemoryPerChild, let used = slot.process.residentKiB, used > limit {
            reason = "uses \(used) KiB (--max-memory-per-child \(limit))"
        }
        guard let reason else { return }
        logger.info("Replacing child \(slot.process.pid): it \(reason)")
        slot.state = .retiring
        if slot.jobs.isEmpty { slot.process.requestShutdown() }
    }

    func childExited(_ number: Int, status: Int32, signaled: Bool) {
        guard let slot = children.removeValue(forKey: number) else { return }
        let how = signaled ? "signal \(status) (\(signalName(status)))" : "exitcode \(status)"
        var neverStarted: [Job] = []
        for jobNumber in slot.jobs {
            guard let job = jobs.removeValue(forKey: jobNumber) else { continue }
            if job.startedAt == nil {
                neverStarted.append(job)
                continue
            }
            processed += 1
            totals[job.message.name, default: 0] += 1
            childLost(job, how: how, pid: slot.process.pid)
        }
        takeBack(neverStarted)
        if slot.state != .retiring && state.replacesChildren {
            logger.error("Process \(slot.process.pid) (child \(number)) exited with \(how)")
        }
        if state.replacesChildren && slot.replaceOnExit {
            do { try spawnChild() } catch { logger.error("cannot start a replacement child: \(error)") }
        }
        checkShutdownProgress()
    }

    /// Jobs sent to a child that died before they started: they go back to the front of
    /// the pending list (or to Redis when shutting down), with no delivery counted.
    func takeBack(_ unstarted: [Job]) {
        guard !unstarted.isEmpty else { return }
        logger.info("Taking back \(unstarted.count) task(s) that waited in the child and never started: \(unstarted.map(\.label).joined(separator: ", "))")
        for job in unstarted { job.child = nil }
        if state.acceptsWork {
            pending.insert(contentsOf: unstarted, at: 0)
        } else {
            writes.restore(unstarted.map { ($0.claimed.deliveryTag, $0.homeList) })
        }
    }
}
