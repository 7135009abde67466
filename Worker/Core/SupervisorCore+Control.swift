import FoundationEssentials
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// Remote control: what each pidbox command changes and what it answers.
extension SupervisorCore {
    /// The most children one `pool_grow` request adds.
    static let maximumGrowth = 64

    /// Acts on a remote-control command and replies when the caller asked for a reply.
    mutating func handleControl(_ request: ControlRequest, usage: ProcessUsage?) {
        controlClock += 1
        if let reply = answer(request, usage: usage) { emit(.reply(request, reply)) }
    }

    private func ok(_ text: String) -> JSONValue { ["ok": .string(text)] }
    private func error(_ text: String) -> JSONValue { ["error": .string(text)] }

    private mutating func answer(_ request: ControlRequest, usage: ProcessUsage?) -> JSONValue? {
        let arguments = request.arguments
        switch request.method {
        case "ping":
            return ok("pong")
        case "revoke", "terminate":
            let ids: [String] = arguments["task_id"]?.arrayValue?.compactMap(\.stringValue)
                ?? arguments["task_id"]?.stringValue.map { [$0] } ?? []
            let terminate = request.method == "terminate" || arguments["terminate"]?.boolValue == true
            return revoke(ids, terminate: terminate, signalName: arguments["signal"]?.stringValue)
        case "rate_limit":
            return setRateLimit(arguments["task_name"]?.stringValue ?? "", arguments["rate_limit"])
        case "time_limit":
            guard let name = arguments["task_name"]?.stringValue, tasks[name] != nil else {
                return error("unknown task")
            }
            timeLimitOverrides[name] = (arguments["hard"]?.doubleValue, arguments["soft"]?.doubleValue)
            log(.info, "New time limits for tasks of type \(name): soft: \(arguments["soft"]?.jsonText ?? "null") hard: \(arguments["hard"]?.jsonText ?? "null")")
            return ok("time limits set successfully")
        case "shutdown":
            log(.warning, "Got shutdown from remote")
            beginWarmShutdown()
            return ok("shutting down")
        case "registered":
            // As Celery's: its built-in `celery.*` tasks only when asked for (`builtins`).
            let builtins = arguments["builtins"]?.boolValue == true
            return .array(tasks.values.filter { builtins || !$0.name.hasPrefix("celery.") }
                .sorted { $0.name < $1.name }.map { .string($0.listing) })
        case "active":
            let safe = arguments["safe"]?.boolValue == true
            return .array(jobs.values.filter { $0.startedAt != nil }.sorted { $0.number < $1.number }.map { requestInfo($0, safe: safe) })
        case "reserved":
            let waitingInChildren = jobs.values.filter { $0.startedAt == nil }.sorted { $0.number < $1.number }
            return .array((waitingInChildren + pending).map { requestInfo($0, safe: false) })
        case "scheduled":
            let now = self.now
            return .array(heldForETA.values.filter { ($0.message.eta ?? now) > now }
                .sorted { ($0.message.eta ?? now) < ($1.message.eta ?? now) }
                .map { job in
                    ["eta": job.message.eta.map { .string(CeleryTime.format($0)) } ?? .null,
                     "priority": .int(job.message.priority), "request": requestInfo(job, safe: false)]
                })
        case "revoked":
            return .array(revokedIDs.sortedIDs(now: epoch).map(JSONValue.string))
        case "stats":
            return stats(usage: usage)
        case "active_queues":
            return .array(queues.map(queueInfo))
        case "conf":
            return confView()
        case "query_task":
            let ids = arguments["ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
            var found: [String: JSONValue] = [:]
            for job in jobs.values where ids.contains(job.message.id) {
                found[job.message.id] = [job.startedAt == nil ? "reserved" : "active", requestInfo(job, safe: false)]
            }
            for job in pending where ids.contains(job.message.id) { found[job.message.id] = ["reserved", requestInfo(job, safe: false)] }
            let now = self.now
            for id in ids where found[id] == nil {
                if let job = heldForETA[id], (job.message.eta ?? now) > now { found[id] = ["scheduled", requestInfo(job, safe: false)] }
            }
            return .object(found)
        case "enable_events":
            if taskEventsEnabled { return ok("task events already enabled") }
            taskEventsEnabled = true
            return ok("task events enabled")
        case "disable_events":
            guard taskEventsEnabled else { return ok("task events already disabled") }
            taskEventsEnabled = false
            return ok("task events disabled")
        case "heartbeat":
            emit(.workerEvent(.heartbeat))
            emit(.recordStatus(online: true))
            return nil
        case "autoscale":
            return setAutoscale(maximum: arguments["max"]?.intValue, minimum: arguments["min"]?.intValue)
        case "pool_grow" where configuration.pool.kind != .prefork, "pool_shrink" where configuration.pool.kind != .prefork:
            return error("\(request.method) is for the prefork pool; this worker runs -P \(configuration.pool.kind.rawValue) (its concurrency is set with -c)")
        case "pool_grow":
            // A request is anyone's pidbox message: one grows the pool by at most `maximumGrowth`.
            let count = min(max(1, arguments["n"]?.intValue ?? 1), Self.maximumGrowth)
            for _ in 0..<count { spawnChild() }
            log(.info, "Pool grew by \(count) to \(children.count) children")
            return ok("pool will grow")
        case "pool_shrink":
            let count = max(1, arguments["n"]?.intValue ?? 1)
            let retiring = children.filter { $0.value.accepting }.sorted { $0.key > $1.key }.prefix(max(0, min(count, children.count - 1)))
            for (_, slot) in retiring {
                slot.move(to: .retiring)
                slot.replaceOnExit = false
                if slot.jobs.isEmpty { emit(.askChildToExit(slot.number)) }
            }
            log(.info, "Pool shrinks by \(retiring.count)")
            return ok("pool will shrink")
        case "add_consumer":
            guard let queue = arguments["queue"]?.stringValue, !queue.isEmpty else { return error("no queue given") }
            if queues.contains(queue) { return ok("already consuming from \(queue)") }
            queues.append(queue)
            restartClaimer()
            return ok("add consumer \(queue)")
        case "cancel_consumer":
            guard let queue = arguments["queue"]?.stringValue, queues.contains(queue) else { return error("not consuming from that queue") }
            queues.removeAll { $0 == queue }
            restartClaimer()
            return ok("no longer consuming from \(queue)")
        case "hello":
            return ["revoked": .array(revokedIDs.sortedIDs(now: epoch).map(JSONValue.string)), "clock": .int(controlClock)]
        case "clock":
            return ["clock": .int(controlClock)]
        default:
            return error("KeyError('\(request.method)')")
        }
    }

    private mutating func revoke(_ ids: [String], terminate: Bool, signalName: String?) -> JSONValue {
        revokedIDs.insert(ids, now: epoch)
        // Kept in Redis too, so workers started later honour a revoke that came only as a
        // broadcast (from Python's `celery control revoke`, say).
        emit(.recordRevoked(ids, until: epoch + RevokedSet.lifetime))
        var terminated: [String] = []
        // Jobs still waiting in a child's queue are dropped there, revoke or terminate alike:
        // killing the child would take the task running ahead of them too.
        for job in jobs.values.sorted(by: { $0.number < $1.number }) where ids.contains(job.message.id) {
            guard case .queuedInChild(let number) = job.state, children[number] != nil else { continue }
            job.dropReason = terminate ? "terminated" : "revoked"
            job.move(to: .dropping(child: number))
            emit(.sendDrop(child: number, job: job.number))
        }
        if terminate {
            let signal = Self.signalNumber(signalName) ?? SIGTERM
            for job in jobs.values.sorted(by: { $0.number < $1.number }) where ids.contains(job.message.id) {
                guard case .running(let number, _) = job.state, let slot = children[number] else { continue }
                log(.warning, "Terminating \(job.label) (\(isAsync ? "cancelling its task" : signalName ?? "SIGTERM"))")
                if isAsync {
                    // Its siblings share the process: the task is cancelled, and its child killed only if it will not end.
                    cancel(job, child: number, state: .revoked, exception: .revoked("terminated"))
                } else {
                    job.move(to: .killed(child: number, state: .revoked, exception: .revoked("terminated")))
                    kill(slot, signal: signal)
                }
                terminated.append(job.message.id)
            }
        }
        for index in pending.indices.reversed() where ids.contains(pending[index].message.id) {
            discardRevoked(pending.remove(at: index))
        }
        // As Celery 5.7: a task this worker holds for its ETA is REVOKED at once, not only when
        // its message comes due (waiting ones in `pending` were just discarded, with their record).
        // Ids it does not hold are left alone: they may be running elsewhere, with no record yet.
        for id in ids where heldForETA[id] != nil {
            emit(.storeIfWaiting(ResultRecord(taskID: id, status: .revoked, exception: .revoked("revoked"),
                                              traceback: nil, dateDone: now)))
        }
        let list = ids.map { "'\($0)'" }.joined(separator: ", ")
        log(.info, "Tasks flagged as revoked: \(ids.joined(separator: ", "))")
        if terminate && !terminated.isEmpty { return ok("terminate: \(terminated.joined(separator: ", "))") }
        return ok("tasks {\(list)} flagged as revoked")
    }

    private mutating func setRateLimit(_ name: String, _ value: JSONValue?) -> JSONValue {
        guard tasks[name] != nil else { return error("unknown task") }
        let text: String? = value?.stringValue ?? value?.doubleValue.map { String($0) }
        if let text, text != "0" {
            do {
                _ = try RateLimit(text)
            } catch {
                return self.error("ValueError('\(error)')")
            }
            tasks[name]?.rateLimit = text
            rateGate.resetLocal(name)
            log(.info, "New rate limit for tasks of type \(name): \(text).")
            return ok("new rate limit set successfully")
        }
        tasks[name]?.rateLimit = nil
        rateGate.resetLocal(name)
        log(.info, "Rate limits disabled for tasks of type \(name)")
        return ok("rate limit disabled successfully")
    }

    /// Starts claiming again after the queue list changed (add/cancel consumer).
    mutating func restartClaimer() {
        guard claiming else { return }
        credits.reset()
        emit(.startClaimer(queues: queues))
    }
}
