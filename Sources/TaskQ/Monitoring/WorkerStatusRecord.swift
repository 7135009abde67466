/// A worker's status as it records it for the monitor: one JSON object per node in the hash
/// `taskq:workers` (``HistoryKeys/workers``), rewritten on every heartbeat and at shutdown.
///
/// It holds the fields of a Celery worker event (`freq`, `active`, `processed`, `loadavg`,
/// `sw_*`) plus what the monitor's worker pages and Flower's `/api/workers` show. ``json`` is
/// the stored shape; ``init(json:)`` reads it back, with defaults for anything missing.
package struct WorkerStatusRecord: Sendable, Equatable {
    /// A task the worker has registered.
    package struct RegisteredTask: Sendable, Equatable {
        /// The task name.
        package var name: String
        /// How the worker lists it (the name and its options, as Celery's `registered` shows).
        package var listing: String

        /// A registered task with its listing.
        package init(name: String, listing: String) {
            self.name = name
            self.listing = listing
        }
    }

    /// The member names of the stored JSON object.
    package enum Key: String, CaseIterable, Sendable {
        case hostname, timestamp, online, pid, concurrency, pool, queues, registered
        case tasksPerProcess = "tasks_per_process"
        case activeTasks = "active_tasks"
        case children, started, stats, succeeded, failed, retried
        case freq, active, processed, loadavg
        case swIdent = "sw_ident"
        case swVer = "sw_ver"
        case swSys = "sw_sys"
    }

    /// The worker's node name (`name@host`).
    package var hostname = ""
    /// When the status was recorded (epoch seconds).
    package var timestamp = 0.0
    /// False once the worker has said it is going offline.
    package var online = true
    /// The supervisor's process id.
    package var pid = 0
    /// How many tasks its pool runs at once (prefork and solo: its children).
    package var concurrency = 0
    /// Its pool kind: `prefork`, `async` or `solo`.
    package var pool = "prefork"
    /// How many tasks each child runs at once (async: above 1).
    package var tasksPerProcess = 1
    /// The queues it consumes.
    package var queues: [String] = []
    /// The tasks it has registered, by name.
    package var registered: [RegisteredTask] = []
    /// The requests it is running, as `inspect active` shows them (safe reprs).
    package var activeTasks: [JSONValue] = []
    /// The pool children's process ids.
    package var children: [Int] = []
    /// When the worker started (epoch seconds).
    package var started = 0.0
    /// Tasks run, by task name (`stats.total`).
    package var totals: [String: Int] = [:]
    /// Tasks that succeeded since the worker started.
    package var succeeded = 0
    /// Tasks that failed since the worker started.
    package var failed = 0
    /// Tasks scheduled for a retry since the worker started.
    package var retried = 0
    /// Seconds between heartbeats.
    package var freq = 2.0
    /// Tasks running now.
    package var active = 0
    /// Tasks processed since the worker started.
    package var processed = 0
    /// The host's 1, 5 and 15 minute load averages.
    package var loadavg: [Double] = []
    /// The worker software's name (`taskq`).
    package var swIdent = ""
    /// The worker software's version.
    package var swVer = ""
    /// The operating system (`Linux`).
    package var swSys = ""

    /// A status with every field at its default.
    package init() {}

    /// Reads a stored status. Missing or mistyped members keep their defaults; a missing
    /// `started` is taken as `timestamp` (an uptime of zero).
    package init(json: JSONValue) {
        func member(_ key: Key) -> JSONValue? { json[key.rawValue] }
        hostname = member(.hostname)?.stringValue ?? hostname
        timestamp = member(.timestamp)?.doubleValue ?? timestamp
        online = member(.online)?.boolValue ?? online
        pid = member(.pid)?.intValue ?? pid
        concurrency = member(.concurrency)?.intValue ?? concurrency
        pool = member(.pool)?.stringValue ?? pool
        tasksPerProcess = member(.tasksPerProcess)?.intValue ?? tasksPerProcess
        queues = (member(.queues)?.arrayValue ?? []).compactMap(\.stringValue)
        registered = (member(.registered)?.arrayValue ?? []).compactMap { entry in
            guard let name = entry["name"]?.stringValue else { return nil }
            return RegisteredTask(name: name, listing: entry["listing"]?.stringValue ?? name)
        }
        activeTasks = member(.activeTasks)?.arrayValue ?? []
        children = (member(.children)?.arrayValue ?? []).compactMap(\.intValue)
        started = member(.started)?.doubleValue ?? timestamp
        totals = (member(.stats)?["total"]?.objectValue ?? [:]).compactMapValues(\.intValue)
        succeeded = member(.succeeded)?.intValue ?? succeeded
        failed = member(.failed)?.intValue ?? failed
        retried = member(.retried)?.intValue ?? retried
        freq = member(.freq)?.doubleValue ?? freq
        active = member(.active)?.intValue ?? active
        processed = member(.processed)?.intValue ?? processed
        loadavg = (member(.loadavg)?.arrayValue ?? []).compactMap(\.doubleValue)
        swIdent = member(.swIdent)?.stringValue ?? swIdent
        swVer = member(.swVer)?.stringValue ?? swVer
        swSys = member(.swSys)?.stringValue ?? swSys
    }

    /// The stored JSON object: every member, times and `freq` and `loadavg` as floats, counts
    /// as integers, `registered` as `{"name", "listing"}` objects, `stats` as `{"total": {...}}`.
    package var json: JSONValue {
        let members: [Key: JSONValue] = [
            .hostname: .string(hostname),
            .timestamp: .double(timestamp),
            .online: .bool(online),
            .pid: .int(pid),
            .concurrency: .int(concurrency),
            .pool: .string(pool),
            .tasksPerProcess: .int(tasksPerProcess),
            .queues: .array(queues.map(JSONValue.string)),
            .registered: .array(registered.map { ["name": .string($0.name), "listing": .string($0.listing)] }),
            .activeTasks: .array(activeTasks),
            .children: .array(children.map(JSONValue.int)),
            .started: .double(started),
            .stats: ["total": .object(totals.mapValues(JSONValue.int))],
            .succeeded: .int(succeeded),
            .failed: .int(failed),
            .retried: .int(retried),
            .freq: .double(freq),
            .active: .int(active),
            .processed: .int(processed),
            .loadavg: .array(loadavg.map(JSONValue.double)),
            .swIdent: .string(swIdent),
            .swVer: .string(swVer),
            .swSys: .string(swSys),
        ]
        return .object(Dictionary(uniqueKeysWithValues: members.map { ($0.key.rawValue, $0.value) }))
    }
}
