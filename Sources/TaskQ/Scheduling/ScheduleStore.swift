import FoundationEssentials

/// Periodic entries in Redis (`ScheduleKeys`): read and edited by `taskq beat`, its CLI and the
/// monitor. Every edit bumps `taskq:beat:version`, so a leading beat picks it up within a second;
/// the leading beat alone plans and sends slots (`taskq:beat:next`).
package struct ScheduleStore: Sendable {
    package let redis: RedisClient

    package init(redis: RedisClient) {
        self.redis = redis
    }

    /// A time as the store keeps it: epoch milliseconds.
    package static func milliseconds(_ date: Date) -> Int { Int((date.timeIntervalSince1970 * 1000).rounded()) }

    /// A time from epoch milliseconds.
    package static func date(milliseconds: Int) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    /// Every entry with its state, by name. Entries whose JSON cannot be read are left out and
    /// returned in `unreadable` (name and reason).
    package func statuses() async throws -> (entries: [ScheduleEntryStatus], unreadable: [(name: String, reason: String)]) {
        let replies = try await redis.pipeline([RedisCommand("HGETALL", ScheduleKeys.entries), RedisCommand("SMEMBERS", ScheduleKeys.paused),
                                                RedisCommand("ZRANGE", ScheduleKeys.next, "0", "-1", "WITHSCORES")])
        let definitions = Self.pairs(replies[0])
        let paused = Set((replies[1].array ?? []).compactMap(\.string))
        var next: [String: Int] = [:]
        for (name, score) in Self.pairs(replies[2]) { next[name] = Int(Double(score) ?? 0) }
        var entries: [ScheduleEntry] = []
        var unreadable: [(String, String)] = []
        for (name, text) in definitions.sorted(by: { $0.0 < $1.0 }) {
            do {
                entries.append(try ScheduleEntry(json: try JSONValue.parse(text)))
            } catch {
                unreadable.append((name, "\(error)"))
            }
        }
        guard !entries.isEmpty else { return ([], unreadable) }
        let runs = try await redis.pipeline(entries.map { RedisCommand("HGETALL", ScheduleKeys.runs($0.name)) })
        let statuses = zip(entries, runs).map { entry, reply in
            let fields = Dictionary(Self.pairs(reply), uniquingKeysWith: { $1 })
            return ScheduleEntryStatus(
                entry: entry, paused: paused.contains(entry.name), nextRun: next[entry.name].map { Self.date(milliseconds: $0) },
                lastRun: fields["last_run"].flatMap { Int($0) }.map { Self.date(milliseconds: $0) },
                lastSent: fields["last_sent"].flatMap { Int($0) }.map { Self.date(milliseconds: $0) },
                lastTaskID: fields["last_task_id"], totalRuns: fields["total_runs"].flatMap { Int($0) } ?? 0,
                missed: fields["missed"].flatMap { Int($0) } ?? 0)
        }
        return (statuses, unreadable)
    }

    /// One entry's state, or nil when there is none of that name.
    package func status(_ name: String) async throws -> ScheduleEntryStatus? {
        try await statuses().entries.first { $0.name == name }
    }

    /// Writes the entries defined in code: new and changed ones are stored (a changed timing is
    /// planned afresh), code entries no longer in the code are removed; entries added at run time
    /// are left alone unless code now defines the same name. Returns what changed, by name.
    @discardableResult
    package func syncCode(_ code: [ScheduleEntry]) async throws -> (added: [String], changed: [String], removed: [String]) {
        let stored = Self.pairs(try await redis.command(RedisCommand("HGETALL", ScheduleKeys.entries)))
        var existing: [String: ScheduleEntry] = [:]
        var unreadable: Set<String> = []
        for (name, text) in stored {
            if let entry = try? ScheduleEntry(json: JSONValue.parse(text)) { existing[name] = entry } else { unreadable.insert(name) }
        }
        var commands: [RedisCommand] = []
        var added: [String] = [], changed: [String] = [], removed: [String] = []
        for entry in code {
            if let old = existing[entry.name] {
                guard old != entry else { continue }
                changed.append(entry.name)
                if old.timing != entry.timing { commands.append(RedisCommand("ZREM", ScheduleKeys.next, entry.name)) }
            } else {
                added.append(entry.name)
            }
            commands.append(RedisCommand("HSET", ScheduleKeys.entries, entry.name, entry.json.jsonText))
        }
        let names = Set(code.map(\.name))
        for (name, entry) in existing where entry.source == .code && !names.contains(name) {
            removed.append(name)
            commands += Self.removal(name)
        }
        for name in unreadable where !names.contains(name) {
            // Left by another version and unreadable here: kept for a person to look at, not sent.
            commands.append(RedisCommand("ZREM", ScheduleKeys.next, name))
        }
        guard !commands.isEmpty else { return ([], [], []) }
        try await apply(commands + [RedisCommand("INCR", ScheduleKeys.version)])
        return (added.sorted(), changed.sorted(), removed.sorted())
    }

    /// Adds (or with `replace`, replaces) an entry defined at run time.
    package func add(_ entry: ScheduleEntry, replace: Bool = false) async throws {
        var entry = try entry.validated()
        entry.source = .runtime
        _ = try entry.timing.rule()   // the zone must exist here too
        if let old = try await status(entry.name) {
            if old.entry.source == .code {
                throw ScheduleStoreError.conflict("\(entry.name) is defined in the app's code; change it there, or pause it")
            }
            if !replace { throw ScheduleStoreError.conflict("an entry named \(entry.name) exists; remove it first or replace it") }
        }
        try await apply([RedisCommand("HSET", ScheduleKeys.entries, entry.name, entry.json.jsonText),
                         RedisCommand("ZREM", ScheduleKeys.next, entry.name), RedisCommand("INCR", ScheduleKeys.version)])
    }

    /// Removes an entry and its runs; false when there was none.
    @discardableResult
    package func remove(_ name: String) async throws -> Bool {
        // The first command of the removal is the HDEL: its count says whether the entry existed.
        let results = try await apply(Self.removal(name) + [RedisCommand("INCR", ScheduleKeys.version)])
        return (results.first?.integer ?? 0) > 0
    }

    /// Pauses (no slots are planned or sent) or resumes (planned afresh from now) an entry;
    /// false when there is none of that name.
    @discardableResult
    package func setPaused(_ name: String, _ paused: Bool) async throws -> Bool {
        guard try await redis.command(RedisCommand("HEXISTS", ScheduleKeys.entries, name)).integer == 1 else { return false }
        try await apply([RedisCommand(paused ? "SADD" : "SREM", ScheduleKeys.paused, name),
                         RedisCommand("ZREM", ScheduleKeys.next, name), RedisCommand("INCR", ScheduleKeys.version)])
        return true
    }

    /// Sends one run of the entry now, outside its slots (its schedule is unchanged); returns
    /// the task id, or nil when there is no entry of that name.
    package func runNow(_ name: String, origin: String) async throws -> String? {
        guard let status = try await status(name) else { return nil }
        let now = Date()
        let message = status.entry.message(slot: nil, now: now, origin: origin)
        try await apply([RedisCommand("LPUSH", message.list, message.envelope),
                         RedisCommand("HSET", ScheduleKeys.runs(name), "last_sent", Self.milliseconds(now), "last_task_id", message.id),
                         RedisCommand("HINCRBY", ScheduleKeys.runs(name), "total_runs", 1)])
        return message.id
    }

    /// The leading beat: its id, fencing token and the lease left; nil when none leads.
    package func leader() async throws -> (beat: String, fence: Int, leaseLeft: Double)? {
        let replies = try await redis.pipeline([RedisCommand("GET", ScheduleKeys.leader), RedisCommand("PTTL", ScheduleKeys.leader)])
        guard let value = replies[0].string, let colon = value.firstIndex(of: ":"), let fence = Int(value[..<colon]) else { return nil }
        return (String(value[value.index(after: colon)...]), fence, Double(max(0, replies[1].integer ?? 0)) / 1000)
    }

    private static func removal(_ name: String) -> [RedisCommand] {
        [RedisCommand("HDEL", ScheduleKeys.entries, name), RedisCommand("ZREM", ScheduleKeys.next, name),
         RedisCommand("SREM", ScheduleKeys.paused, name), RedisCommand("DEL", ScheduleKeys.runs(name))]
    }

    /// Runs commands in one MULTI/EXEC and returns their replies; throws the first error Redis gives.
    @discardableResult
    private func apply(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        let replies = try await redis.pipeline([RedisCommand("MULTI")] + commands + [RedisCommand("EXEC")])
        if let failure = replies.first(where: { if case .error = $0 { return true } else { return false } }) {
            throw ScheduleStoreError.redis("\(failure)")
        }
        guard case .array(let results) = replies.last else { return [] }
        if let failure = results.first(where: { if case .error = $0 { return true } else { return false } }) {
            throw ScheduleStoreError.redis("\(failure)")
        }
        return results
    }

    /// Name/value pairs of a flat HGETALL or WITHSCORES reply.
    static func pairs(_ reply: RedisReply) -> [(String, String)] {
        let items = (reply.array ?? []).map { $0.string ?? "" }
        return stride(from: 0, to: items.count - 1, by: 2).map { (items[$0], items[$0 + 1]) }
    }
}

/// A schedule edit Redis or the entries refused.
package enum ScheduleStoreError: Error, CustomStringConvertible {
    /// The name is taken (by code, or by a run-time entry without `replace`).
    case conflict(String)
    /// Redis refused a command.
    case redis(String)

    package var description: String {
        switch self {
        case .conflict(let text): return text
        case .redis(let text): return "Redis refused a schedule change: \(text)"
        }
    }
}

extension ScheduleEntryStatus {
    /// The entry's name.
    package var name: String { entry.name }
}
