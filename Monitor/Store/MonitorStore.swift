import Foundation
import TaskQ

/// Reads what workers recorded in Redis: task history, worker status, queue lengths.
///
/// The monitor keeps no state of its own; a restart loses nothing.
final class MonitorStore: Sendable {
    let broker: RedisClient
    let backend: RedisClient
    let brokerURL: RedisURL

    init(brokerURL: RedisURL, backendURL: RedisURL) {
        self.brokerURL = brokerURL
        broker = RedisClient(url: brokerURL, name: "taskq.monitor.broker")
        backend = brokerURL == backendURL ? broker : RedisClient(url: backendURL, name: "taskq.monitor.backend")
    }

    private func guarded<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RedisError {
            throw MonitorError.unavailable(error.message)
        }
    }

    // MARK: - Workers

    /// Every worker that recorded a status, by name.
    func workers() async throws -> [WorkerStatus] {
        try await guarded {
            let reply = try await broker.command(RedisCommand("HGETALL", HistoryKeys.workers))
            let items = reply.array ?? []
            var workers: [WorkerStatus] = []
            var index = 0
            while index + 1 < items.count {
                if let json = try? JSONValue.parse(items[index + 1].bytes ?? []) { workers.append(WorkerStatus(WorkerStatusRecord(json: json))) }
                index += 2
            }
            return workers.sorted { $0.name < $1.name }
        }
    }

    /// One worker by name.
    func worker(named name: String) async throws -> WorkerStatus? {
        try await guarded {
            let reply = try await broker.command(RedisCommand("HGET", HistoryKeys.workers, name))
            return reply.bytes.flatMap { try? JSONValue.parse($0) }.map { WorkerStatus(WorkerStatusRecord(json: $0)) }
        }
    }

    // MARK: - Tasks

    /// One page of a task listing, the number of tasks that match, and whether it came from a bounded scan.
    struct TaskListing: Sendable {
        var tasks: [TaskRecord]
        var total: Int
        /// Set when the listing had to read task hashes (search, or sorting by name, state or
        /// start time): only the newest `scanLimit` tasks were looked at.
        var scanLimit: Int?
    }

    /// How many of the newest tasks a search (or a sort other than by received time) reads.
    static let scanLimit = 20_000

    /// One page of tasks matching the query, newest first unless sorted otherwise, and the total.
    ///
    /// Filters by state, name, worker and received time are answered from the sorted-set
    /// indexes (`ZREVRANGE`/`ZCARD`, `ZINTERSTORE` when several are combined), reading only the
    /// hashes of the page. A search or another sort reads the newest ``scanLimit`` tasks.
    func tasks(_ query: TaskQuery) async throws -> TaskListing {
        try await guarded {
            query.readsIndexes ? try await indexedTasks(query) : try await scannedTasks(query)
        }
    }

    private func indexedTasks(_ query: TaskQuery) async throws -> TaskListing {
        let filters = [query.state.map(HistoryKeys.state), query.taskName.map(HistoryKeys.name),
                       query.workerName.map(HistoryKeys.worker)].compactMap { $0 }
        let ranged = query.receivedStart != nil || query.receivedEnd != nil
        let ascending = query.sortBy == "received"
        var commands: [RedisCommand] = []
        let key: String
        var temporary: String?
        if filters.isEmpty {
            key = HistoryKeys.all
        } else if filters.count == 1 && !ranged {
            key = filters[0]
        } else {
            // Intersect with the all-tasks index weighted 1 (the others 0): the scores stay the
            // first-seen time, which the received bounds and the order refer to.
            let name = "taskq:monitor:query:" + UUID().uuidString.lowercased()
            temporary = name
            key = name
            let weights: [any RedisArgument] = ["WEIGHTS", 1] + filters.map { _ in 0 as any RedisArgument }
            commands.append(RedisCommand("ZINTERSTORE", arguments: [name, filters.count + 1, HistoryKeys.all]
                + filters.map { $0 as any RedisArgument } + weights))
            commands.append(RedisCommand("PEXPIRE", name, 10_000))
        }
        let limit = max(query.limit, 0)
        let low = query.receivedStart.map { String($0) } ?? "-inf"
        let high = query.receivedEnd.map { String($0) } ?? "+inf"
        let rangeIndex = commands.count
        if limit > 0 {
            let last = query.offset + limit - 1
            switch (ranged, ascending) {
            case (true, true): commands.append(RedisCommand("ZRANGEBYSCORE", key, low, high, "LIMIT", query.offset, limit))
            case (true, false): commands.append(RedisCommand("ZREVRANGEBYSCORE", key, high, low, "LIMIT", query.offset, limit))
            case (false, true): commands.append(RedisCommand("ZRANGE", key, query.offset, last))
            case (false, false): commands.append(RedisCommand("ZREVRANGE", key, query.offset, last))
            }
        }
        let countIndex = commands.count
        commands.append(ranged ? RedisCommand("ZCOUNT", key, low, high) : RedisCommand("ZCARD", key))
        if let temporary { commands.append(RedisCommand("DEL", temporary)) }
        let replies = try await broker.pipeline(commands)
        let ids = limit > 0 ? replies[rangeIndex].array?.compactMap(\.string) ?? [] : []
        let tasks = try await listed(ids)
        let stale = try await dropStale(ids: ids, found: tasks, query: query)
        return TaskListing(tasks: tasks.filter { !stale.contains($0.id) }, total: max((replies[countIndex].integer ?? 0) - stale.count, 0))
    }

    /// Removes index entries that no longer describe their task, and returns their ids: a
    /// hash that is gone, or one whose state or worker moved on while the index missed it (a
    /// task id sent twice, or a record written by an older worker). Workers keep the indexes
    /// exact otherwise, so this finds nothing in the usual case.
    private func dropStale(ids: [String], found: [TaskRecord], query: TaskQuery) async throws -> Set<String> {
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var commands: [RedisCommand] = []
        var stale: Set<String> = []
        for id in ids {
            guard let record = byID[id] else {
                stale.insert(id)
                let keys = [HistoryKeys.all, query.state.map(HistoryKeys.state), query.taskName.map(HistoryKeys.name),
                            query.workerName.map(HistoryKeys.worker)].compactMap { $0 }
                commands += keys.map { RedisCommand("ZREM", $0, id) }
                continue
            }
            if let state = query.state, record.state != state {
                stale.insert(id)
                commands.append(RedisCommand("ZREM", HistoryKeys.state(state), id))
            }
            if let worker = query.workerName, record.worker != worker {
                stale.insert(id)
                commands.append(RedisCommand("ZREM", HistoryKeys.worker(worker), id))
            }
        }
        if !commands.isEmpty { _ = try await broker.pipeline(commands) }
        return stale
    }

    private func scannedTasks(_ query: TaskQuery) async throws -> TaskListing {
        let low = query.receivedStart.map { String($0) } ?? "-inf"
        let high = query.receivedEnd.map { String($0) } ?? "+inf"
        let ids = try await broker.command(RedisCommand("ZREVRANGEBYSCORE", HistoryKeys.all, high, low, "LIMIT", 0, Self.scanLimit))
            .array?.compactMap(\.string) ?? []
        // In chunks; matches keep just what sorting needs.
        let sortKeys = Set([TaskHistoryField.uuid, .name, .state, .received, .started].map(\.rawValue))
        var matching: [TaskRecord] = []
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(start + 1_000, ids.count)])
            start += chunk.count
            for record in try await fetched(chunk) {
                guard (query.state.map { record.state == $0 } ?? true)
                    && (query.taskName.map { record.name == $0 } ?? true)
                    && (query.workerName.map { record.worker == $0 } ?? true)
                    && (query.search.map { $0.isEmpty || record.matches(search: $0) } ?? true) else { continue }
                matching.append(TaskRecord(fields: record.fields.filter { sortKeys.contains($0.key) }))
            }
        }
        if let sort = query.sortBy {
            let descending = sort.hasPrefix("-")
            let key = descending ? String(sort.dropFirst()) : sort
            matching.sort { a, b in
                let ordered: Bool
                switch key {
                case "name": ordered = a.name < b.name
                case "state": ordered = a.state < b.state
                case "started": ordered = (a.time(.started) ?? 0) < (b.time(.started) ?? 0)
                default: ordered = (a.received ?? 0) < (b.received ?? 0)
                }
                return descending ? !ordered : ordered
            }
        }
        let page = matching.dropFirst(query.offset).prefix(max(query.limit, 0)).map(\.id)
        return TaskListing(tasks: try await listed(Array(page)), total: matching.count, scanLimit: Self.scanLimit)
    }

    /// The records of these ids (missing ones skipped), in order: one `MGET` per 500.
    private func fetched(_ ids: [String]) async throws -> [TaskRecord] {
        var records: [TaskRecord] = []
        records.reserveCapacity(ids.count)
        var start = 0
        while start < ids.count {
            let chunk = ids[start..<min(start + 500, ids.count)]
            start += chunk.count
            let reply = try await broker.command(RedisCommand("MGET", arguments: chunk.map { HistoryKeys.task($0) as any RedisArgument }))
            for value in reply.array ?? [] {
                if let bytes = value.bytes, let fields = TaskHistoryJSON.decode(bytes) { records.append(TaskRecord(fields: fields)) }
            }
        }
        return records
    }

    /// The records of a listing page (Flower's task dict; the arguments' JSON, which only the
    /// task's own page and Retry read, left out).
    private func listed(_ ids: [String]) async throws -> [TaskRecord] {
        try await fetched(ids).map { record in
            TaskRecord(fields: record.fields.filter { $0.key != TaskHistoryField.argsJSON.rawValue && $0.key != TaskHistoryField.kwargsJSON.rawValue })
        }
    }

    /// One task by id.
    func task(_ id: String) async throws -> TaskRecord? {
        try await guarded { try await fetched([id]).first }
    }

    /// Every task name seen in the history or registered by a worker.
    func taskTypes() async throws -> [String] {
        try await guarded {
            var names = Set(try await broker.command(RedisCommand("SMEMBERS", HistoryKeys.taskNames)).array?.compactMap(\.string) ?? [])
            for worker in try await workers() {
                names.formUnion(worker.record.registered.map(\.name))
            }
            return names.sorted()
        }
    }

    /// The stored result record of a task, if any.
    func result(_ id: String) async throws -> ResultRecord? {
        try await guarded {
            guard let bytes = try await backend.command(RedisCommand("GET", CeleryKeys.result(id))).bytes else { return nil }
            return try? ResultRecord(bytes: bytes)
        }
    }

    // MARK: - Queues

    /// Queue names: those workers consume, `celery`, and any other queue holding messages
    /// (a route to a queue no worker consumes shows up here, with `consumedQueues` telling).
    func queueNames() async throws -> [String] {
        var names = Set(["celery"]).union(try await consumedQueues())
        names.formUnion(try await queuesWithMessages())
        return names.sorted()
    }

    /// The queues some worker that recorded its status consumes.
    func consumedQueues() async throws -> Set<String> {
        Set(try await workers().flatMap(\.record.queues))
    }

    /// The most keys one look for queue lists reads (a bounded `SCAN … TYPE list`).
    static let queueScanLimit = 20_000

    /// Queues found as lists in Redis: every list but TaskQ's and kombu's own bookkeeping and
    /// pidbox reply lists, a priority list (`name␆␖3`) counted under its queue.
    func queuesWithMessages() async throws -> Set<String> {
        var found: Set<String> = []
        var cursor = "0"
        var read = 0
        repeat {
            let reply = try await broker.command(RedisCommand("SCAN", cursor, "COUNT", 1000, "TYPE", "list"))
            guard let parts = reply.array, parts.count == 2 else { break }
            cursor = parts[0].string ?? "0"
            for key in parts[1].array ?? [] {
                guard let name = key.string else { continue }
                read += 1
                let queue = name.components(separatedBy: CeleryKeys.separator).first ?? name
                if Self.isBookkeeping(queue) { continue }
                found.insert(queue)
            }
        } while cursor != "0" && read < Self.queueScanLimit
        return found
    }

    /// Lists that are not task queues: TaskQ's and kombu's own, and pidbox reply lists.
    static func isBookkeeping(_ list: String) -> Bool {
        list.hasPrefix("taskq:") || list.hasPrefix("_kombu") || list.hasPrefix("unacked") || list.hasSuffix(".reply.celery.pidbox")
            || list.contains("celeryev") || list.hasPrefix("celery-task-meta")
    }

    /// Length of each queue (its four priority lists), and of each list.
    func queueLengths() async throws -> [(name: String, total: Int, lists: [(String, Int)])] {
        try await guarded {
            let names = try await queueNames()
            let lists = names.flatMap { name in CeleryKeys.queueLists(name).map { (name, $0) } }
            let replies = try await broker.pipeline(lists.map { RedisCommand("LLEN", $0.1) })
            var result: [(name: String, total: Int, lists: [(String, Int)])] = []
            for name in names {
                var entries: [(String, Int)] = []
                for (offset, list) in lists.enumerated() where list.0 == name {
                    entries.append((list.1, replies[offset].integer ?? 0))
                }
                result.append((name, entries.reduce(0) { $0 + $1.1 }, entries))
            }
            return result
        }
    }

    /// Sizes of TaskQ's own bookkeeping: scheduled, unacked, dead letters.
    func bookkeeping() async throws -> (scheduled: Int, unacked: Int, dead: Int) {
        try await guarded {
            let replies = try await broker.pipeline([
                RedisCommand("ZCARD", CeleryKeys.scheduled),
                RedisCommand("HLEN", CeleryKeys.unacked),
                RedisCommand("LLEN", CeleryKeys.deadLetters),
            ])
            return (replies[0].integer ?? 0, replies[1].integer ?? 0, replies[2].integer ?? 0)
        }
    }

    /// The newest dead letters (decoded entries).
    func deadLetters(limit: Int = 50) async throws -> [JSONValue] {
        try await guarded {
            let items = try await broker.command(RedisCommand("LRANGE", CeleryKeys.deadLetters, 0, limit - 1)).array ?? []
            return items.compactMap { $0.bytes.flatMap { try? JSONValue.parse($0) } }
        }
    }

    /// Deletes every dead letter; returns how many there were.
    func purgeDeadLetters() async throws -> Int {
        try await guarded {
            let replies = try await broker.pipeline([RedisCommand("LLEN", CeleryKeys.deadLetters), RedisCommand("DEL", CeleryKeys.deadLetters)])
            return replies[0].integer ?? 0
        }
    }
}
