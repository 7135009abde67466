import FoundationEssentials
import Logging
import TaskQ

/// The beat's rounds: take or wait for the lease; as leader, renew it, reload entries when
/// their version moves, plan first slots and send due ones.
extension BeatService {
    var leaseMilliseconds: Int { Int(configuration.lease * 1000) }

    /// Runs rounds until cancelled (a graceful shutdown), then gives the lease up if it holds it.
    func loop() async throws {
        var state = BeatLoopState()
        var backoff = RedisBackoff()
        while true {
            do {
                let pause = try await round(&state)
                backoff.connected(logger: logger)
                if pause > 0 { try await Task.sleep(for: .milliseconds(pause)) }
            } catch is CancellationError {
                if let value = state.leaderValue {
                    _ = try? await redis.evaluate(BeatScripts.release, keys: [ScheduleKeys.leader], arguments: [value])
                    logger.info("beat: Gave up the leader lease")
                }
                throw CancellationError()
            } catch {
                try await backoff.failed(error, url: configuration.brokerURL, logger: logger)
            }
        }
    }

    /// One round; returns the milliseconds to wait before the next.
    func round(_ state: inout BeatLoopState) async throws -> Int {
        guard let leaderValue = state.leaderValue else { return try await tryToLead(&state) }
        if ContinuousClock.now - state.renewedAt >= .seconds(configuration.lease / 5) {
            let renewed = try await redis.evaluate(BeatScripts.renew, keys: [ScheduleKeys.leader], arguments: [leaderValue, leaseMilliseconds])
            guard renewed.integer == 1 else { return lostLead(&state) }
            state.renewedAt = .now
        }
        let reply = (try await redis.evaluate(BeatScripts.due, keys: [ScheduleKeys.next, ScheduleKeys.version],
                                              arguments: [Self.dueBatch])).array ?? []
        guard reply.count >= 3, let nowMs = reply[0].integer, let version = reply[1].integer, let earliest = reply[2].integer else {
            throw WorkerError("unexpected reply to the beat's due script: \(reply)")
        }
        let now = ScheduleStore.date(milliseconds: nowMs)
        if version != state.version {
            try await reload(&state, version: version, now: now)
            return 0
        }
        var sent = 0
        for index in stride(from: 3, to: reply.count - 1, by: 2) {
            guard let name = reply[index].string, let slotMs = reply[index + 1].integer else { continue }
            guard let found = state.entries[name] else {
                // Planned before an edit this beat has not loaded: load it first.
                state.version = -1
                return 0
            }
            switch try await send(found.entry, rule: found.rule, slot: ScheduleStore.date(milliseconds: slotMs), now: now, leaderValue: leaderValue) {
            case .sent: sent += 1
            case .notDue: continue
            case .notLeader: return lostLead(&state)
            }
        }
        if sent > 0 || reply.count > 3 { return 0 }
        let untilRenewal = Int((configuration.lease / 5) * 1000)
        let untilDue = earliest >= 0 ? max(1, earliest - nowMs) : 1000
        return min(untilDue, 1000, untilRenewal)
    }

    /// Takes the lease if it is free; else waits until it runs out (at most a second, to notice a release).
    func tryToLead(_ state: inout BeatLoopState) async throws -> Int {
        let reply = (try await redis.evaluate(BeatScripts.acquire, keys: [ScheduleKeys.leader, ScheduleKeys.fence],
                                              arguments: [configuration.beatID, leaseMilliseconds])).array ?? []
        guard reply.count == 3, let won = reply[0].integer, let value = reply[1].integer else {
            throw WorkerError("unexpected reply to the beat's lease script: \(reply)")
        }
        guard won == 1 else { return min(max(value + 5, 20), 1000) }
        state.leaderValue = "\(value):\(configuration.beatID)"
        state.renewedAt = .now
        state.version = -1
        logger.info("beat: Leading (lease \(FixedPoint.text(configuration.lease, places: 1)) s, fencing token \(value)); sending due tasks")
        return 0
    }

    func lostLead(_ state: inout BeatLoopState) -> Int {
        logger.warning("beat: Lost the leader lease (another beat took over); waiting to lead again")
        state.leaderValue = nil
        return 100
    }

    /// Loads the active entries and plans the first slot of those without one.
    func reload(_ state: inout BeatLoopState, version: Int, now: Date) async throws {
        let (statuses, unreadable) = try await store.statuses()
        var entries: [String: (entry: ScheduleEntry, rule: ScheduleRule)] = [:]
        var unplanned: [(String, Date)] = []
        var unusable: [String] = []
        var reported: Set<String> = []
        for (name, reason) in unreadable {
            reported.insert(name)
            if !state.reported.contains(name) { logger.error("beat: Entry \(name) cannot be read and is not sent: \(reason)") }
        }
        for status in statuses where !status.paused {
            do {
                let rule = try status.entry.timing.rule()
                entries[status.name] = (status.entry, rule)
                if status.nextRun == nil { unplanned.append((status.name, planner.firstSlot(rule, now: now))) }
            } catch {
                reported.insert(status.name)
                if !state.reported.contains(status.name) { logger.error("beat: Entry \(status.name) is not sent: \(error)") }
                // Its old plan would come due with no rule to send it by (and be reloaded for every round).
                if status.nextRun != nil { unusable.append(status.name) }
            }
        }
        if !unusable.isEmpty {
            _ = try await redis.command(RedisCommand("ZREM", arguments: [ScheduleKeys.next] + unusable))
        }
        if let leaderValue = state.leaderValue, !unplanned.isEmpty {
            var arguments: [any RedisArgument] = [leaderValue]
            for (name, slot) in unplanned { arguments += [name, ScheduleStore.milliseconds(slot)] as [any RedisArgument] }
            _ = try await redis.evaluate(BeatScripts.plan, keys: [ScheduleKeys.leader, ScheduleKeys.next], arguments: arguments)
            for (name, slot) in unplanned {
                logger.debug("beat: Planned \(name): first run at \(CeleryTime.format(slot))")
            }
        }
        state.entries = entries
        state.reported = reported
        state.version = version
    }

    enum SendResult { case sent, notDue, notLeader }

    /// Sends one due slot through the claim script.
    func send(_ entry: ScheduleEntry, rule: ScheduleRule, slot: Date, now: Date, leaderValue: String) async throws -> SendResult {
        let plan = planner.send(rule, slot: slot, now: now)
        let message = entry.message(slot: slot, now: now, origin: App.origin)
        let reply = try await redis.evaluate(
            BeatScripts.claim,
            keys: [ScheduleKeys.leader, ScheduleKeys.next, ScheduleKeys.runs(entry.name), message.list, ScheduleKeys.paused, ScheduleKeys.entries],
            arguments: [leaderValue, entry.name, ScheduleStore.milliseconds(slot), ScheduleStore.milliseconds(plan.next),
                        message.envelope, message.id, plan.missed])
        switch reply.integer {
        case 1:
            logger.info("Scheduler: Sending due task \(entry.name) (\(entry.task))")
            if plan.missed > 0 {
                logger.warning("Scheduler: \(entry.name) missed \(plan.missed) slot(s) while no beat was sending (more than \(FixedPoint.text(configuration.catchUp, places: 1)) s late); sent once now, next at \(CeleryTime.format(plan.next))")
            }
            return .sent
        case -1: return .notLeader
        default: return .notDue
        }
    }
}
