import FoundationEssentials
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

extension Worker {
    /// The most children one `pool_grow` request adds.
    static let maximumGrowth = 64

    /// Acts on a remote-control command and replies when the caller asked for a reply.
    func handleControl(_ request: ControlRequest) {
        controlClock += 1
        let reply = answer(request)
        if let reply { control?.reply(to: request, value: reply, clock: controlClock) }
    }

    private func ok(_ text: String) -> JSONValue { ["ok": .string(text)] }
    private func error(_ text: String) -> JSONValue { ["error": .string(text)] }

    private func answer(_ request: ControlRequest) -> JSONValue? {
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
            logger.info("New time limits for tasks of type \(name): soft: \(arguments["soft"]?.jsonText ?? "null") hard: \(arguments["hard"]?.jsonText ?? "null")")
            return ok("time limits set successfully")
        case "shutdown":
            logger.warning("Got shutdown from remote")
            beginWarmShutdown()
            return ok("shutting down")
        case "registered":
            return .array(tasks.values.sorted { $0.name < $1.name }.map { .string($0.listing) })
        case "active":
            let safe = arguments["safe"]?.boolValue == true
            return .array(jobs.values.filter { $0.startedAt != nil }.sorted { $0.number < $1.number }.map { requestInfo($0, safe: safe) })
        case "reserved":
            let waitingInChildren = jobs.values.filter { $0.startedAt == nil }.sorted { $0.number < $1.number }
            return .array((waitingInChildren + pending).map { requestInfo($0, safe: false) })
        case "scheduled":
            let now = Date()
            return .array(heldForETA.values.filter { ($0.message.eta ?? now) > now }
                .sorted { ($0.message.eta ?? now) < ($1.message.eta ?? now) }
                .map { job in
                    ["eta": job.message.eta.map { .string(CeleryTime.format($0)) } ?? .null,
                     "priority": .int(job.message.priority), "request": requestInfo(job, safe: false)]
                })
        case "revoked":
            return .array(revokedIDs.sortedIDs.map(JSONValue.string))
        case "stats":
            return stats()
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
            let now = Date()
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
            sendHeartbeat()
            return nil
        case "pool_grow":
            // A request is anyone's pidbox message: one grows the pool by at most `maximumGrowth`.
            let count = min(max(1, arguments["n"]?.intValue ?? 1), Self.maximumGrowth)
            for _ in 0..<count { try? spawnChild() }
            logger.info("Pool grew by \(count) to \(children.count) children")
            return ok("pool will grow")
        case "pool_shrink":
            let count = max(1, arguments["n"]?.intValue ?? 1)
            let retiring = children.filter { $0.value.state == .ready }.sorted { $0.key > $1.key }.prefix(max(0, min(count, children.count - 1)))
            for (_, slot) in retiring {
                slot.state = .retiring
                slot.replaceOnExit = false
                if slot.jobs.isEmpty { slot.process.requestShutdown() }
            }
            logger.info("Pool shrinks by \(retiring.count)")
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
            return ["revoked": .array(revokedIDs.sortedIDs.map(JSONValue.string)), "clock": .int(controlClock)]
        case "clock":
            return ["clock": .int(controlClock)]
        default:
            return error("KeyError('\(request.method)')")
        }
    }

    private func revoke(_ ids: [String], terminate: Bool, signalName: String?) -> JSONValue {
        revokedIDs.insert(ids)
        // Kept in Redis too, so workers started later honour a revoke that came only as a
        // broadcast (from Python's `celery control revoke`, say).
        writes.recordRevoked(ids, until: Date().timeIntervalSince1970 + RevokedSet.lifetime)
        var terminated: [String] = []
        // Jobs still waiting in a child's queue are dropped there, revoke or terminate alike:
        // killing the child would take the task running ahead of them too.
        for job in jobs.values where ids.contains(job.message.id) && job.startedAt == nil && job.killedFor == nil {
            guard let number = job.child, let slot = children[number] else { continue }
            job.dropRequested = terminate ? "terminated" : "revoked"
            slot.process.send(encoded: ToChild.drop(job: job.number).encoded)
        }
        if terminate {
            let signal = Self.signalNumber(signalName) ?? SIGTERM
            for job in jobs.values where ids.contains(job.message.id) && job.killedFor == nil && job.startedAt != nil {
                guard let number = job.child, let slot = children[number] else { continue }
                logger.warning("Terminating \(job.label) (\(signalName ?? "SIGTERM"))")
                job.killedFor = (.revoked, .revoked("terminated"))
                slot.state = .retiring
                slot.kill(signal: signal)
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
            writes.storeIfWaiting(ResultRecord(taskID: id, status: .revoked, exception: .revoked("revoked"),
                                               traceback: nil, dateDone: Date()))
        }
        let list = ids.map { "'\($0)'" }.joined(separator: ", ")
        logger.info("Tasks flagged as revoked: \(ids.joined(separator: ", "))")
        if terminate && !terminated.isEmpty { return ok("terminate: \(terminated.joined(separator: ", "))") }
        return ok("tasks {\(list)} flagged as revoked")
    }

    private func setRateLimit(_ name: String, _ value: JSONValue?) -> JSONValue {
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
            logger.info("New rate limit for tasks of type \(name): \(text).")
            return ok("new rate limit set successfully")
        }
        tasks[name]?.rateLimit = nil
        rateGate.resetLocal(name)
        logger.info("Rate limits disabled for tasks of type \(name)")
        return ok("rate limit disabled successfully")
    }

    /// Celery's request info for `inspect active` / `reserved`.
    func requestInfo(_ job: Job, safe: Bool) -> JSONValue {
        [
            "id": .string(job.message.id),
            "name": .string(job.message.name),
            "args": safe ? .string(job.message.argsRepr) : .array(job.message.args),
            "kwargs": safe ? .string(job.message.kwargsRepr) : .object(job.message.kwargs),
            "type": .string(job.message.name),
            "hostname": .string(configuration.nodeName),
            "time_start": job.startedAt.map { .double($0.timeIntervalSince1970) } ?? .null,
            "acknowledged": .bool(job.acked),
            "delivery_info": [
                "exchange": "",
                "routing_key": .string(job.claimed.queue),
                "priority": .int(job.message.priority),
                "redelivered": .bool(job.claimed.deliveries > 1),
            ],
            "worker_pid": job.child.flatMap { children[$0] }.map { .int(Int($0.process.pid)) } ?? .null,
        ]
    }

    private func queueInfo(_ name: String) -> JSONValue {
        [
            "name": .string(name),
            "exchange": ["name": .string(name), "type": "direct", "arguments": nil, "durable": true, "passive": false,
                         "auto_delete": false, "delivery_mode": nil, "no_declare": false],
            "routing_key": .string(name),
            "queue_arguments": nil, "binding_arguments": nil, "consumer_arguments": nil,
            "durable": true, "exclusive": false, "auto_delete": false, "no_ack": false, "alias": nil,
            "bindings": [], "no_declare": nil, "expires": nil, "message_ttl": nil, "max_length": nil,
            "max_length_bytes": nil, "max_priority": nil,
        ]
    }

    /// Celery's `inspect stats` reply; Flower's worker page needs `total` and `broker`.
    func stats() -> JSONValue {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let url = configuration.brokerURL
        let (host, port): (String, Int) = {
            if case .tcp(let host, let port) = url.endpoint { return (host, port) }
            return ("localhost", 0)
        }()
        return [
            "total": .object(totals.mapValues { .int($0) }),
            "pid": .int(Int(getpid())),
            "clock": .string(String(controlClock)),
            "uptime": .int(Int(Date().timeIntervalSince(startedAt))),
            "pool": [
                "implementation": "taskq:prefork",
                "max-concurrency": .int(children.count),
                "processes": .array(children.values.map { .int(Int($0.process.pid)) }),
                "max-tasks-per-child": configuration.maxTasksPerChild.map(JSONValue.int) ?? "N/A",
                "put-guarded-by-semaphore": false,
                "timeouts": [configuration.softTimeLimit.map(JSONValue.double) ?? 0, configuration.timeLimit.map(JSONValue.double) ?? 0],
                "writes": ["total": .int(processed), "avg": "0.00%", "all": "", "raw": "", "strategy": "fair", "inqueues": ["total": 0, "active": 0]],
            ],
            "broker": [
                "hostname": .string(host), "userid": url.username.map(JSONValue.string) ?? nil,
                "virtual_host": .string(String(url.database)), "port": .int(port), "insist": false, "ssl": false,
                "transport": "redis", "connect_timeout": 4, "transport_options": [:], "login_method": nil,
                "uri_prefix": nil, "heartbeat": 120.0, "failover_strategy": "round-robin", "alternates": [],
            ],
            "prefetch_count": .int(children.count * configuration.prefetchMultiplier),
            "rusage": [
                "utime": .double(Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6),
                "stime": .double(Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6),
                "maxrss": .int(usage.ru_maxrss), "ixrss": 0, "idrss": 0, "isrss": 0,
                "minflt": .int(usage.ru_minflt), "majflt": .int(usage.ru_majflt), "nswap": 0,
                "inblock": .int(usage.ru_inblock), "oublock": .int(usage.ru_oublock), "msgsnd": 0, "msgrcv": 0,
                "nsignals": 0, "nvcsw": .int(usage.ru_nvcsw), "nivcsw": .int(usage.ru_nivcsw),
            ],
        ]
    }

    private func confView() -> JSONValue {
        [
            "broker_url": .string(configuration.brokerURL.description),
            "result_backend": .string(configuration.backendURL.description),
            "task_acks_late": .bool(configuration.acksLate),
            "worker_prefetch_multiplier": .int(configuration.prefetchMultiplier),
            "worker_concurrency": .int(configuration.concurrency),
            "task_time_limit": configuration.timeLimit.map(JSONValue.double) ?? nil,
            "task_soft_time_limit": configuration.softTimeLimit.map(JSONValue.double) ?? nil,
            "result_expires": .int(configuration.resultExpiry),
            "include": .array(tasks.keys.sorted().map(JSONValue.string)),
        ]
    }

    static func signalNumber(_ name: String?) -> Int32? {
        switch name?.uppercased() {
        case "SIGTERM", "TERM", "15": return SIGTERM
        case "SIGKILL", "KILL", "9": return SIGKILL
        case "SIGINT", "INT", "2": return SIGINT
        case "SIGHUP", "HUP", "1": return SIGHUP
        case "SIGUSR1", "USR1": return SIGUSR1
        default: return nil
        }
    }
}
