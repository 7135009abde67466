import FoundationEssentials
import TaskQ
#if canImport(Glibc)
import Glibc
#endif

/// What `inspect` shows of the worker: request infos, queues, stats and configuration, in Celery's shapes.
extension SupervisorCore {
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
            "worker_pid": job.child.flatMap { children[$0] }.flatMap(\.pid).map { .int(Int($0)) } ?? .null,
        ]
    }

    func queueInfo(_ name: String) -> JSONValue {
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
    func stats(usage: ProcessUsage?) -> JSONValue {
        let url = configuration.brokerURL
        let (host, port): (String, Int) = {
            if case .tcp(let host, let port) = url.endpoint { return (host, port) }
            return ("localhost", 0)
        }()
        return [
            "total": .object(totals.mapValues { .int($0) }),
            "pid": usage.map { .int($0.pid) } ?? .null,
            "clock": .string(String(controlClock)),
            "uptime": .int(Int(now.timeIntervalSince(startedAt))),
            "pool": poolStats,
            "broker": [
                "hostname": .string(host), "userid": url.username.map(JSONValue.string) ?? nil,
                "virtual_host": .string(String(url.database)), "port": .int(port), "insist": false, "ssl": false,
                "transport": "redis", "connect_timeout": 4, "transport_options": [:], "login_method": nil,
                "uri_prefix": nil, "heartbeat": 120.0, "failover_strategy": "round-robin", "alternates": [],
            ],
            "prefetch_count": .int(prefetchLimit),
            "rusage": usage?.rusage ?? [:],
        ]
    }

    /// Tasks the pool runs at once now: its children × the tasks each runs.
    var concurrency: Int { children.count * configuration.pool.tasksPerChild }

    /// `stats`' `pool` section, shaped as Celery's (with the autoscaler's when autoscaling).
    var poolStats: JSONValue {
        var pool: [String: JSONValue] = [
            "implementation": .string("taskq:\(configuration.pool.kind.rawValue)"),
            "max-concurrency": .int(concurrency),
            "processes": .array(children.values.sorted { $0.number < $1.number }.compactMap { $0.pid.map { .int(Int($0)) } }),
            "tasks-per-process": .int(configuration.pool.tasksPerChild),
            "max-tasks-per-child": configuration.maxTasksPerChild.map(JSONValue.int) ?? "N/A",
            "put-guarded-by-semaphore": false,
            "timeouts": [configuration.softTimeLimit.map(JSONValue.double) ?? 0, configuration.timeLimit.map(JSONValue.double) ?? 0],
            "writes": ["total": .int(processed), "avg": "0.00%", "all": "", "raw": "", "strategy": "fair", "inqueues": ["total": 0, "active": 0]],
        ]
        if let range = autoscaleRange {
            pool["autoscaler"] = ["max": .int(range.maximum), "min": .int(range.minimum), "qty": .int(children.count)]
        }
        return .object(pool)
    }

    func confView() -> JSONValue {
        [
            "broker_url": .string(configuration.brokerURL.description),
            "result_backend": .string(configuration.backendURL.description),
            "task_acks_late": .bool(configuration.acksLate),
            "worker_prefetch_multiplier": .int(prefetchMultiplier),
            "worker_concurrency": .int(configuration.concurrency),
            "worker_pool": .string(configuration.pool.kind.rawValue),
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
